import {
  classification,
  createOpenAICompatible,
  defineModel,
  type MlkitError,
  textGeneration,
} from '@mlkit/core';
import { createServer, type ServerEvent } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Histogram } from '../src/metrics.ts';
import { fakeChatModel, fakeClassifier, gate } from './fakes.ts';

const KEY = 'sk-request-id-server-key-1234';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const row = { data: [5.1, 3.5, 1.4, 0.2] };

const broken = defineModel({
  id: 'fake:broken',
  task: classification,
  capabilities: { streaming: false, batching: false, local: true },
  async run() {
    throw new Error('the model fell over');
  },
});

const brokenChat = defineModel({
  id: 'fake:broken-chat',
  task: textGeneration,
  capabilities: { streaming: false, batching: false, local: true },
  async run() {
    throw new Error('the chat model fell over');
  },
});

let listening: Listening;
const events: ServerEvent[] = [];
const logger = { error: vi.fn(), warn: vi.fn() };
const busy = gate();
const held = fakeClassifier({ gate: gate().wait, batching: false });

beforeAll(async () => {
  listening = await listen(
    createServer({
      models: {
        iris: fakeClassifier().model,
        busy: fakeClassifier({ gate: busy.wait, batching: false }).model,
        held: held.model,
        gpt: fakeChatModel().model,
        broken,
        'broken-chat': brokenChat,
      },
      apiKeys: [KEY],
      cors: { origins: ['http://app.test'] },
      limits: { maxBodyBytes: 1024, maxConcurrency: 1, maxQueue: 0 },
      onEvent: (event) => events.push(event),
      logger,
    }),
    { port: 0 },
  );
});
afterAll(async () => {
  busy.open();
  await listening.close({ drainDelayMs: 0, graceMs: 100 });
});

/** A request over real HTTP, with the API key unless `key: false`. */
function call(
  path: string,
  options: {
    method?: string;
    body?: unknown;
    id?: string;
    key?: boolean;
    headers?: Record<string, string>;
  } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== false) headers.authorization = `Bearer ${KEY}`;
  if (options.id !== undefined) headers['x-request-id'] = options.id;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${listening.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.body !== undefined && {
      body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    }),
  });
}

const requestEvents = (requestId: string) =>
  events.filter((e) => e.type === 'request' && e.requestId === requestId);

describe('x-request-id on every answer (real HTTP)', () => {
  it('echoes the client’s id on a 200', async () => {
    const response = await call('/predict/iris', { body: row, id: 'client-id-200' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('client-id-200');
  });

  it('makes a UUID when the request has none, a new one per request', async () => {
    const first = await call('/predict/iris', { body: row });
    const second = await call('/predict/iris', { body: row });
    expect(first.headers.get('x-request-id')).toMatch(UUID);
    expect(second.headers.get('x-request-id')).toMatch(UUID);
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
  });

  it('keeps an id of 128 visible ASCII characters, punctuation included', async () => {
    const id = `trace:${'a1-_.=/+'.repeat(15)}`.slice(0, 128);
    const response = await call('/predict/iris', { body: row, id });
    expect(response.headers.get('x-request-id')).toBe(id);
  });

  it.each([
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'two words'],
    ['a non-ASCII character', 'caf\u00e9'],
    ['nothing', ''],
  ])('replaces an id with %s by a UUID and warns about it', async (_, id) => {
    logger.warn.mockClear();
    const response = await call('/predict/iris', { body: row, id });
    const replaced = response.headers.get('x-request-id');
    expect(replaced).toMatch(UUID);
    expect(logger.warn).toHaveBeenCalledOnce();
    expect(logger.warn.mock.calls[0]![0]).toContain(`replaced by ${replaced}`);
  });

  it.each([
    [400, 'an invalid body', '/predict/iris', { body: { rows: 'no' } }],
    [401, 'no API key', '/predict/iris', { body: row, key: false }],
    [404, 'an unknown route', '/nowhere', {}],
    [404, 'an unknown model', '/predict/nope', { body: row }],
    [405, 'a wrong method', '/v1/chat/completions', { method: 'DELETE' }],
    [413, 'a body over maxBodyBytes', '/predict/iris', { body: { data: Array(600).fill(1) } }],
    [500, 'a model that throws', '/predict/broken', { body: row }],
  ] as const)('returns the client’s id on a %i (%s)', async (status, _, path, options) => {
    const id = `client-id-${status}-${path.length}`;
    const response = await call(path, { ...options, id });
    expect(response.status).toBe(status);
    expect(response.headers.get('x-request-id')).toBe(id);
    await response.body?.cancel();
  });

  it('returns the id on a 429 when the model’s slot and queue are taken', async () => {
    const running = call('/predict/busy', { body: row, id: 'holds-the-slot' });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'request')).toBe(true));
    let refused: Response;
    await vi.waitFor(async () => {
      refused = await call('/predict/busy', { body: row, id: 'refused-429' });
      expect(refused.status).toBe(429);
    });
    expect(refused!.headers.get('x-request-id')).toBe('refused-429');
    busy.open();
    const answered = await running;
    expect(answered.headers.get('x-request-id')).toBe('holds-the-slot');
  });

  it('records a 499 (the client went away) with its id', async () => {
    const controller = new AbortController();
    const pending = fetch(`${listening.url}/predict/held`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        'x-request-id': 'gone-499',
      },
      body: JSON.stringify(row),
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(held.calls.run).toBe(1));
    controller.abort();
    await pending.catch(() => {});
    await vi.waitFor(() => expect(requestEvents('gone-499')).toMatchObject([{ status: 499 }]));
  });

  it('returns the id on health checks, without credentials', async () => {
    for (const path of ['/v2/health/ready', '/v2/health/live']) {
      const response = await call(path, { key: false, id: `probe-${path.length}` });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe(`probe-${path.length}`);
    }
  });

  it('returns the id on a CORS preflight, where browsers may read it', async () => {
    const response = await fetch(`${listening.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-request-id',
        'x-request-id': 'preflight-1',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('x-request-id')).toBe('preflight-1');
    const chat = await call('/v1/chat/completions', {
      body: { model: 'gpt', messages: [{ role: 'user', content: 'hi' }] },
      headers: { origin: 'http://app.test' },
    });
    expect(chat.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id');
  });

  it('returns the id on an SSE stream', async () => {
    const response = await call('/v1/chat/completions', {
      body: { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'a b c' }] },
      id: 'stream-1',
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-request-id')).toBe('stream-1');
    expect(await response.text()).toContain('data: [DONE]');
  });
});

describe('x-request-id in events, logs and answers from other servers', () => {
  it('puts the id in the request event', async () => {
    await (await call('/predict/iris', { body: row, id: 'event-1' })).body?.cancel();
    await vi.waitFor(() =>
      expect(requestEvents('event-1')).toMatchObject([
        { route: '/predict/:name', status: 200, model: 'iris' },
      ]),
    );
  });

  it('puts the id in the error event and the error log of a 500', async () => {
    logger.error.mockClear();
    await (await call('/predict/broken', { body: row, id: 'failure-1' })).body?.cancel();
    expect(events.filter((e) => e.type === 'error' && e.requestId === 'failure-1')).toMatchObject([
      { status: 500 },
    ]);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('500'),
      expect.objectContaining({ requestId: 'failure-1' }),
    );
  });

  it('returns the id on a 504 past requestTimeoutMs', async () => {
    const server = createServer({
      models: { iris: fakeClassifier({ gate: gate().wait }).model },
      limits: { requestTimeoutMs: 30 },
    });
    const slow = await listen(server, { port: 0 });
    try {
      const response = await fetch(`${slow.url}/predict/iris`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'late-504' },
        body: JSON.stringify(row),
      });
      expect(response.status).toBe(504);
      expect(response.headers.get('x-request-id')).toBe('late-504');
    } finally {
      await slow.close({ graceMs: 100 });
    }
  });

  it('returns the id on the 503 of a server shutting down', async () => {
    const open = gate();
    const server = createServer({ models: { iris: fakeClassifier({ gate: open.wait }).model } });
    const inflight = server.fetch(
      new Request('http://mlkit.test/predict/iris', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(row),
      }),
    );
    const closing = server.close({ graceMs: 5_000 });
    await vi.waitFor(async () => {
      const refused = await server.fetch(
        new Request('http://mlkit.test/v1/models', { headers: { 'x-request-id': 'late-503' } }),
      );
      expect(refused.status).toBe(503);
      expect(refused.headers.get('x-request-id')).toBe('late-503');
    });
    open.open();
    await inflight;
    await closing;
  });

  it('gives the mlkit client’s thrown error the id the server returned on each retried attempt', async () => {
    const model = createOpenAICompatible({
      name: 'replica',
      baseURL: `${listening.url}/v1`,
      apiKey: KEY,
      maxRetries: 1,
      retry: { baseDelayMs: 1 },
    }).textGeneration('broken-chat');
    const sent: string[] = [];
    const error = (await model
      .run(
        { messages: [{ role: 'user', content: 'hi' }] },
        { onEvent: (event) => void (event.type === 'request' && sent.push(event.requestId)) },
      )
      .catch((caught: unknown) => caught)) as MlkitError;
    expect(error.status).toBe(500);
    expect(error.requestId).toMatch(UUID);
    expect(sent).toEqual([error.requestId, error.requestId]);
    await vi.waitFor(() =>
      expect(requestEvents(error.requestId!)).toMatchObject([{ status: 500 }, { status: 500 }]),
    );
  });
});

describe('request ids as /metrics exemplars', () => {
  /** What Prometheus 2.x/3.x sends when it scrapes. */
  const PROMETHEUS_ACCEPT =
    'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

  async function scrape(ids: string[], accept?: string) {
    const server = createServer({ models: { iris: fakeClassifier().model } });
    for (const id of ids) {
      await server.fetch(
        new Request('http://mlkit.test/predict/iris', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify(row),
        }),
      );
    }
    const response = await server.fetch(
      new Request('http://mlkit.test/metrics', accept === undefined ? {} : { headers: { accept } }),
    );
    return { contentType: response.headers.get('content-type'), text: await response.text() };
  }

  it('answers OpenMetrics with the request id on the latency bucket when Prometheus asks for it', async () => {
    const { contentType, text } = await scrape(['scrape-me-1'], PROMETHEUS_ACCEPT);
    expect(contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const withExemplar = text.split('\n').filter((line) => line.includes(' # {'));
    expect(withExemplar).toHaveLength(1);
    expect(withExemplar[0]).toMatch(
      /^mlkit_http_request_duration_seconds_bucket\{route="\/predict\/:name",le="[0-9.e+-]+"\} 1 # \{request_id="scrape-me-1"\} [0-9.e-]+ \d+\.\d{3}$/,
    );
  });

  it('writes OpenMetrics by its grammar: counter families without _total, canonical le, # EOF last', async () => {
    const { text } = await scrape(['grammar-1', 'grammar-2'], 'application/openmetrics-text');
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE mlkit_http_requests counter');
    expect(text).toContain('mlkit_http_requests_total{route="/predict/:name",method="POST",status="200"} 2');
    expect(text).toContain('mlkit_http_request_duration_seconds_bucket{route="/predict/:name",le="1.0"} 2');
    expect(text).toContain('mlkit_batch_size_bucket{model="iris",le="256.0"} 2');
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [-+0-9.eInfNa]+( # \{[^}]*\} [-+0-9.e]+ [0-9.]+)?$/;
    const lines = text.trimEnd().split('\n');
    for (const line of lines.slice(0, -1)) {
      if (line.startsWith('#')) expect(line).toMatch(/^# (TYPE|HELP) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/);
      else expect(line).toMatch(sample);
    }
  });

  it('keeps the Prometheus text of before when the scraper does not ask for OpenMetrics', async () => {
    for (const accept of [undefined, 'text/plain', 'application/openmetrics-text;q=0.2,text/plain;q=0.9']) {
      const { contentType, text } = await scrape(['plain-1'], accept);
      expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(text).not.toContain('plain-1');
      expect(text).not.toContain('# EOF');
      expect(text).toContain('# TYPE mlkit_http_requests_total counter');
    }
  });

  it('leaves out an id too long for an exemplar (128 characters of label names and values)', async () => {
    const fits = 'f'.repeat(118); // with "request_id", 128 characters
    const tooLong = 'g'.repeat(119);
    const { text } = await scrape([fits, tooLong], 'application/openmetrics-text');
    const exemplars = text.split('\n').filter((line) => line.includes(' # {'));
    expect(exemplars.join('\n')).toContain(`request_id="${fits}"`);
    expect(text).not.toContain(tooLong);
  });
});

describe('Histogram exemplars', () => {
  it('keeps the latest exemplar of the one bucket a value falls in, +Inf included', () => {
    const histogram = new Histogram('h_seconds', 'help', [0.1, 1]);
    histogram.observe({}, 0.05, { request_id: 'a' });
    histogram.observe({}, 0.5, { request_id: 'b' });
    histogram.observe({}, 0.07, { request_id: 'c' });
    histogram.observe({}, 5, { request_id: 'd' });
    const buckets = histogram
      .render('openmetrics')
      .split('\n')
      .filter((line) => line.startsWith('h_seconds_bucket'))
      .map((line) => line.replace(/ \d+\.\d{3}$/, ''));
    expect(buckets).toEqual([
      'h_seconds_bucket{le="0.1"} 2 # {request_id="c"} 0.07',
      'h_seconds_bucket{le="1.0"} 3 # {request_id="b"} 0.5',
      'h_seconds_bucket{le="+Inf"} 4 # {request_id="d"} 5',
    ]);
    expect(histogram.render('prometheus')).not.toContain(' # {');
    expect(histogram.render('prometheus')).toContain('h_seconds_bucket{le="1"} 3\n');
  });
});
