import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AuthenticationError,
  InvalidInputError,
  NetworkError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
} from '../../src/errors.ts';
import { createTransport, parseErrorBody } from '../../src/http/index.ts';
import type { TransportOptions } from '../../src/http/types.ts';
import { anyObject, eventLog, failure } from './support.ts';

const BASE = 'https://api.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function transport(options: Partial<TransportOptions> = {}) {
  return createTransport({ provider: 'test', baseURL: BASE, maxRetries: 0, ...options });
}
const post = (t = transport(), schema: z.ZodType = anyObject) => t.json({ path: 'chat', body: {}, schema });
const reply = (response: () => Response) => server.use(http.post(`${BASE}/chat`, response));

describe('status mapping', () => {
  it.each([
    [400, InvalidInputError, false],
    [422, InvalidInputError, false],
    [401, AuthenticationError, false],
    [403, PermissionError, false],
    [404, NotFoundError, false],
    [429, RateLimitError, true],
    [408, ServerError, true],
    [409, ServerError, true],
    [500, ServerError, true],
    [503, ServerError, true],
    [418, ServerError, false],
  ])('maps HTTP %i to %o (retryable: %s)', async (status, type, retryable) => {
    reply(() => HttpResponse.json({ error: { message: 'nope' } }, { status }));
    const error = await failure(post());
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status, provider: 'test', retryable });
    expect(error.message).toContain(`test returned HTTP ${status}: nope`);
  });

  it('puts the Retry-After hint on RateLimitError', async () => {
    reply(() => HttpResponse.json({}, { status: 429, headers: { 'retry-after': '3' } }));
    expect(await failure(post())).toMatchObject({ retryAfterMs: 3000 });
  });
});

describe('error body normalisation', () => {
  it.each([
    [
      'OpenAI',
      {
        error: {
          message: 'Bad model',
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      },
      'Bad model',
    ],
    [
      'older vLLM',
      { object: 'error', message: 'max_tokens is too large', type: 'BadRequestError', code: 400 },
      'max_tokens is too large',
    ],
    ['OIP v2 / TF Serving', { error: 'tensor shape mismatch' }, 'tensor shape mismatch'],
    ['FastAPI string detail', { detail: 'Model not loaded' }, 'Model not loaded'],
    ['a plain message', { message: 'quota exceeded' }, 'quota exceeded'],
  ])('reads the message of a %s body', (_, body, message) => {
    expect(parseErrorBody(JSON.stringify(body)).message).toBe(message);
  });

  it('keeps the type and code of an OpenAI body', () => {
    const body = {
      error: { message: 'Bad model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    };
    expect(parseErrorBody(JSON.stringify(body))).toEqual({
      message: 'Bad model',
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    });
  });

  it('joins FastAPI validation issues with their locations', () => {
    const body = {
      detail: [
        { loc: ['body', 'inputs', 0], msg: 'field required', type: 'missing' },
        { loc: ['body', 'x'], msg: 'bad' },
      ],
    };
    expect(parseErrorBody(JSON.stringify(body)).message).toBe('body.inputs[0]: field required; body.x: bad');
  });

  it('uses a plain-text body as the message', () => {
    expect(parseErrorBody('  upstream connect error  ').message).toBe('upstream connect error');
    expect(parseErrorBody('').message).toBe('(empty body)');
  });

  it('carries the normalised message and code into the thrown error', async () => {
    reply(() =>
      HttpResponse.json({ error: { message: 'Bad model', code: 'model_not_found' } }, { status: 404 }),
    );
    const error = await failure(post());
    expect(error.message).toBe(
      'test returned HTTP 404: Bad model (model_not_found). Check the model id and the base URL.',
    );
  });
});

describe('network and response failures', () => {
  it('maps a failed fetch to NetworkError with its cause', async () => {
    reply(() => HttpResponse.error());
    const error = await failure(post());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ retryable: true, provider: 'test' });
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('maps a custom fetch that fails with ECONNRESET to NetworkError', async () => {
    const fetch = async () => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    };
    const error = await failure(post(transport({ fetch })));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('socket hang up (ECONNRESET)');
  });

  it('uses the custom fetch for every request', async () => {
    let calls = 0;
    const fetch: typeof globalThis.fetch = async () => {
      calls++;
      return Response.json({ via: 'custom' });
    };
    await expect(post(transport({ fetch }))).resolves.toEqual({ via: 'custom' });
    expect(calls).toBe(1);
  });

  it('throws ResponseValidationError naming the path when a 2xx body does not match the schema', async () => {
    reply(() => HttpResponse.json({ choices: [{ message: { content: 42 } }] }));
    const schema = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string() }) })) });
    const error = await failure(post(transport(), schema));
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error.message).toContain('response.choices[0].message.content');
    expect(error.retryable).toBe(false);
  });

  it('throws ResponseValidationError for a 2xx body that is not JSON', async () => {
    reply(
      () =>
        new HttpResponse('<html>gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    );
    const error = await failure(post());
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error.message).toContain('<html>gateway</html>');
  });

  it('never resolves to undefined for an empty 2xx body', async () => {
    reply(() => new HttpResponse(null, { status: 200 }));
    expect(await failure(post(transport(), z.unknown()))).toBeInstanceOf(ResponseValidationError);
  });

  it('rejects a relative baseURL at creation', () => {
    expect(() => createTransport({ provider: 'test', baseURL: 'api/v1' })).toThrow(InvalidInputError);
  });
});

describe('secrets', () => {
  const KEY = 'sk-proj-SECRETSECRETSECRET0123456789';

  it('sends the key as a bearer token by default', async () => {
    let auth: string | null = null;
    server.use(
      http.post(`${BASE}/chat`, ({ request }) => {
        auth = request.headers.get('authorization');
        return HttpResponse.json({});
      }),
    );
    await post(transport({ apiKey: KEY }));
    expect(auth).toBe(`Bearer ${KEY}`);
  });

  it('sends the key in a custom header', async () => {
    let headers: Headers | undefined;
    server.use(
      http.post(`${BASE}/chat`, ({ request }) => {
        headers = request.headers;
        return HttpResponse.json({});
      }),
    );
    await post(transport({ apiKey: 'azure-key-0123456789', authHeader: { name: 'api-key' } }));
    expect(headers!.get('api-key')).toBe('azure-key-0123456789');
    expect(headers!.get('authorization')).toBeNull();
  });

  it('reads the key from the environment variable when none is given', async () => {
    let auth: string | null = null;
    server.use(
      http.post(`${BASE}/chat`, ({ request }) => {
        auth = request.headers.get('authorization');
        return HttpResponse.json({});
      }),
    );
    process.env.MLKIT_TEST_HTTP_KEY = 'env-key-0123456789';
    try {
      await post(transport({ apiKeyEnvVar: 'MLKIT_TEST_HTTP_KEY' }));
    } finally {
      delete process.env.MLKIT_TEST_HTTP_KEY;
    }
    expect(auth).toBe('Bearer env-key-0123456789');
  });

  it('keeps the key out of error messages, toJSON, inspect output and events even when the server echoes it', async () => {
    const key = 'plainkey0123456789xyz'; // no sk- prefix: only registration can redact it
    reply(() =>
      HttpResponse.json({ error: { message: `Incorrect API key provided: ${key}` } }, { status: 401 }),
    );
    const log = eventLog();
    const error = await failure(post(transport({ apiKey: key, onEvent: log.onEvent })));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('[REDACTED]');
    for (const text of [
      error.message,
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      inspect(log.events, { depth: 10 }),
    ]) {
      expect(text).not.toContain(key);
    }
  });

  it('keeps the key out of a network error and its causes', async () => {
    const key = 'netkey0123456789abcdef';
    reply(() => HttpResponse.error());
    const error = await failure(post(transport({ apiKey: key })));
    expect(error).toBeInstanceOf(NetworkError);
    expect(inspect(error, { depth: 10 })).not.toContain(key);
  });
});

describe('browser', () => {
  function inBrowser(run: () => void) {
    const globals = globalThis as { document?: unknown };
    globals.document = {};
    try {
      run();
    } finally {
      delete globals.document;
    }
  }

  it('refuses to send an API key from a browser and says how to opt in', () => {
    inBrowser(() => {
      expect(() => transport({ apiKey: 'browser-key-0123456789' })).toThrow(AuthenticationError);
      expect(() => transport({ apiKey: 'browser-key-0123456789' })).toThrow(/dangerouslyAllowBrowser: true/);
    });
  });

  it('sends the key from a browser with dangerouslyAllowBrowser', () => {
    inBrowser(() => {
      expect(() =>
        transport({ apiKey: 'browser-key-0123456789', dangerouslyAllowBrowser: true }),
      ).not.toThrow();
    });
  });

  it('allows a browser transport without a key (a local server)', () => {
    inBrowser(() => {
      expect(() => transport()).not.toThrow();
    });
  });
});
