import { createServer } from '@mlkit/server';
import { describe, expect, it, vi } from 'vitest';
import { fakeChatModel, fakeClassifier, get, postJson } from './fakes.ts';

const KEY = 'sk-live-abcdefghijklmnop';

function setup(options: { apiKeys?: string[]; maxBodyBytes?: number } = {}) {
  const logger = { error: vi.fn(), warn: vi.fn() };
  const server = createServer({
    models: { iris: fakeClassifier().model, 'tiny-gpt': fakeChatModel().model },
    ...(options.apiKeys && { apiKeys: options.apiKeys }),
    limits: { maxBodyBytes: options.maxBodyBytes ?? 1024 },
    logger,
  });
  return { server, logger };
}

const chatBody = { model: 'tiny-gpt', messages: [{ role: 'user', content: 'hi' }] };

describe('API keys', () => {
  it('answers 401 with WWW-Authenticate when no key is sent', async () => {
    const response = await postJson(setup({ apiKeys: [KEY] }).server, '/v1/chat/completions', chatBody);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    expect((await response.json()).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'missing_api_key',
    });
  });

  it('answers 401 invalid_api_key for a wrong key without echoing it', async () => {
    const response = await postJson(
      setup({ apiKeys: [KEY] }).server,
      '/predict/iris',
      { data: [1, 2, 3, 4] },
      {
        authorization: 'Bearer sk-wrong-key-guess-1234',
      },
    );
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(text).not.toContain('sk-wrong-key-guess-1234');
    expect(text).not.toContain(KEY);
  });

  it('accepts any of the configured keys', async () => {
    const { server } = setup({ apiKeys: ['sk-first-key-000000', KEY] });
    const response = await postJson(
      server,
      '/predict/iris',
      { data: [1, 2, 3, 4] },
      { authorization: `Bearer ${KEY}` },
    );
    expect(response.status).toBe(200);
  });

  it('leaves health checks open for probes', async () => {
    const { server } = setup({ apiKeys: [KEY] });
    expect((await get(server, '/v2/health/ready')).status).toBe(200);
    expect((await get(server, '/v2/models/iris')).status).toBe(401);
  });
});

describe('bad requests are JSON errors, never crashes', () => {
  it('answers 413 when Content-Length exceeds the limit', async () => {
    const response = await postJson(setup().server, '/predict/iris', { data: Array(600).fill(1) });
    expect(response.status).toBe(413);
    expect((await response.json()).code).toBe('body_too_large');
  });

  it('answers 413 when a body without Content-Length streams past the limit', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new TextEncoder().encode(`${pulls === 1 ? '{"data":[' : ''}${'1,'.repeat(100)}`));
      },
    });
    const request = new Request('http://mlkit.test/predict/iris', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(request.headers.get('content-length')).toBeNull();
    const response = await setup().server.fetch(request);
    expect(response.status).toBe(413);
    expect(pulls).toBeLessThan(20);
  });

  it('answers 413 when a body is longer than its declared Content-Length says', async () => {
    const request = new Request('http://mlkit.test/predict/iris', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '10' },
      body: JSON.stringify({ data: Array(600).fill(1) }),
    });
    expect((await setup().server.fetch(request)).status).toBe(413);
  });

  it('answers 400 for malformed JSON in each protocol’s shape', async () => {
    const { server } = setup();
    const openai = await postJson(server, '/v1/chat/completions', '{"model": "tiny-gpt",');
    expect(openai.status).toBe(400);
    expect((await openai.json()).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_json',
    });
    const oip = await postJson(server, '/v2/models/iris/infer', '{oops');
    expect(oip.status).toBe(400);
    expect(await oip.json()).toEqual({ error: expect.stringContaining('not valid JSON') });
    const empty = await postJson(server, '/predict/iris', '');
    expect(empty.status).toBe(400);
  });

  it('answers 400 listing every invalid path', async () => {
    const response = await postJson(setup().server, '/v1/chat/completions', {
      model: 'tiny-gpt',
      messages: [{ role: 'bot', content: 'hi' }],
      top_p: 5,
    });
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.issues.map((issue: { path: string }) => issue.path)).toEqual(
      expect.arrayContaining(['body.messages[0].role', 'body.top_p']),
    );
    expect(error.message).toContain('body.messages[0].role');
    expect(error.param).toMatch(/messages\[0\]\.role|top_p/);
  });

  it('answers 400 for input the model rejects after the body was valid', async () => {
    const response = await postJson(setup().server, '/predict/iris', { data: [] });
    expect(response.status).toBe(400);
  });

  it('answers 404 for an unknown model and for an unknown route', async () => {
    const { server } = setup();
    const model = await postJson(server, '/predict/nope', { data: [1] });
    expect(model.status).toBe(404);
    expect(await model.json()).toMatchObject({
      code: 'model_not_found',
      error: expect.stringContaining('"iris"'),
    });
    const route = await get(server, '/v3/anything');
    expect(route.status).toBe(404);
    expect((await route.json()).code).toBe('route_not_found');
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const { server } = setup();
    const response = await get(server, '/v1/chat/completions');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect((await response.json()).error.code).toBe('method_not_allowed');
    const oip = await server.fetch(
      new Request('http://mlkit.test/v2/models/iris/infer', { method: 'DELETE' }),
    );
    expect(oip.status).toBe(405);
    expect(await oip.json()).toEqual({ error: expect.stringContaining('DELETE') });
  });

  it('answers 415 for a body that is not JSON', async () => {
    const response = await postJson(setup().server, '/predict/iris', 'data=1', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(415);
    expect((await response.json()).error).toContain('application/json');
  });

  it('answers 500 without internals when a model throws a plain Error, and logs it', async () => {
    const { defineModel, classification } = await import('@mlkit/core');
    const broken = defineModel({
      id: 'fake:broken',
      task: classification,
      capabilities: { streaming: false, batching: false, local: true },
      async run() {
        throw new Error('secret stack detail');
      },
    });
    const logger = { error: vi.fn() };
    const server = createServer({ models: { broken }, logger });
    const response = await postJson(server, '/predict/broken', { data: [1] });
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('secret stack detail');
    expect(logger.error).toHaveBeenCalledOnce();
  });
});
