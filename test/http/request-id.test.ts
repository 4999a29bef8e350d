import { HttpResponse, http, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, NetworkError, ServerError } from '../../src/errors.ts';
import { createTransport } from '../../src/http/index.ts';
import type { TransportOptions } from '../../src/http/types.ts';
import { anyObject, collect, eventLog, failure, loopback } from './support.ts';

const BASE = 'https://api.test/v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Answer each request to /chat with the next response in `answers` (the last one repeats); keep the ids seen. */
function answer(...answers: Array<() => Response>) {
  const ids: Array<string | null> = [];
  server.use(
    http.post(`${BASE}/chat`, ({ request }) => {
      ids.push(request.headers.get('x-request-id'));
      return answers[Math.min(ids.length, answers.length) - 1]!();
    }),
  );
  return ids;
}

const ok = () => HttpResponse.json({ ok: true });
const failing = (code: number) => () =>
  HttpResponse.json({ error: { message: `status ${code}` } }, { status: code });

function transport(options: Partial<TransportOptions> = {}) {
  return createTransport({
    provider: 'test',
    baseURL: BASE,
    apiKey: 'sk-test-request-id-123456',
    retry: { baseDelayMs: 1, maxDelayMs: 2, random: () => 0 },
    ...options,
  });
}

const post = (t: ReturnType<typeof transport>, extra = {}) =>
  t.json({ path: 'chat', body: { q: 1 }, schema: anyObject, ...extra });

describe('x-request-id sent by the transport (msw)', () => {
  it('sends one UUID on every attempt of a retried call', async () => {
    const ids = answer(failing(500), failing(503), ok);
    await post(transport());
    expect(ids).toHaveLength(3);
    expect(ids[0]).toMatch(UUID);
    expect(new Set(ids)).toEqual(new Set([ids[0]]));
  });

  it('sends a different id for each logical call', async () => {
    const ids = answer(ok);
    const t = transport();
    await post(t);
    await post(t);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('sends the caller’s own x-request-id (any case) on every attempt instead of minting one', async () => {
    const ids = answer(failing(502), ok);
    await post(transport(), { headers: { 'X-Request-Id': 'checkout-42' } });
    expect(ids).toEqual(['checkout-42', 'checkout-42']);
  });

  it('sends an id on GET requests too', async () => {
    let id: string | null = null;
    server.use(
      http.get(`${BASE}/models`, ({ request }) => {
        id = request.headers.get('x-request-id');
        return HttpResponse.json({});
      }),
    );
    await transport().json({ method: 'GET', path: 'models', schema: anyObject });
    expect(id).toMatch(UUID);
  });

  it('reports the sent id in request, retry, response and error events', async () => {
    const ids = answer(failing(500), failing(400));
    const log = eventLog();
    await failure(post(transport({ onEvent: log.onEvent })));
    expect(log.events.map((e) => e.type)).toEqual([
      'request',
      'response',
      'retry',
      'request',
      'response',
      'error',
    ]);
    for (const event of log.events) expect(event).toMatchObject({ requestId: ids[0] });
  });

  it('puts the sent id on the thrown error and in its toJSON', async () => {
    const ids = answer(failing(500));
    const error = await failure(post(transport({ maxRetries: 1 })));
    expect(error).toBeInstanceOf(ServerError);
    expect(ids).toHaveLength(2);
    expect(error.requestId).toBe(ids[0]);
    expect(error.toJSON()).toMatchObject({ requestId: ids[0] });
  });

  it('puts the caller’s id on the thrown error', async () => {
    answer(failing(404));
    const error = await failure(post(transport(), { headers: { 'x-request-id': 'mine-1' } }));
    expect(error.requestId).toBe('mine-1');
  });

  it('sends the id on a stream and puts it on an error thrown while reading it', async () => {
    let id: string | null = null;
    server.use(
      http.post(`${BASE}/chat`, ({ request }) => {
        id = request.headers.get('x-request-id');
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('data: {"a":1}\n\n'));
            controller.error(new TypeError('terminated'));
          },
        });
        return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
      }),
    );
    const error = await failure(collect(transport().stream({ path: 'chat', body: { q: 1 } })));
    expect(error).toBeInstanceOf(NetworkError);
    expect(id).toMatch(UUID);
    expect(error.requestId).toBe(id);
  });

  it('leaves a caller’s abort reason untouched: one reason may end many calls', async () => {
    answer(() => new HttpResponse(null, { status: 500 }));
    const controller = new AbortController();
    const reason = new AbortError('the page was closed');
    controller.abort(reason);
    const log = eventLog();
    const error = await failure(post(transport({ onEvent: log.onEvent }), { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(error.requestId).toBeUndefined();
    expect(log.of('error')[0]).toMatchObject({ requestId: expect.stringMatching(UUID) });
  });
});

describe('x-request-id on a real connection (loopback server)', () => {
  // Past msw to the real socket.
  beforeEach(() => server.use(http.all(/^http:\/\/127\.0\.0\.1:/, () => passthrough())));

  it('keeps one id across a reset connection, two 503s and the answer', async () => {
    const seen: Array<string | undefined> = [];
    const replica = await loopback((req, res, n) => {
      seen.push(req.headers['x-request-id'] as string | undefined);
      if (n === 1) return req.socket.destroy();
      if (n <= 3) {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end('{"error":"busy"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    try {
      const t = createTransport({
        provider: 'loop',
        baseURL: replica.url,
        maxRetries: 3,
        retry: { baseDelayMs: 1 },
      });
      await expect(t.json({ path: 'chat', body: {}, schema: anyObject })).resolves.toEqual({ ok: true });
      expect(replica.requests).toBe(4);
      expect(seen[0]).toMatch(UUID);
      expect(seen).toEqual([seen[0], seen[0], seen[0], seen[0]]);
    } finally {
      await replica.close();
    }
  });

  it('gives two calls two ids, each the same over its own attempts', async () => {
    const seen: Array<string | undefined> = [];
    const replica = await loopback((req, res, n) => {
      seen.push(req.headers['x-request-id'] as string | undefined);
      res.writeHead(n % 2 === 1 ? 500 : 200, { 'content-type': 'application/json' });
      res.end(n % 2 === 1 ? '{"error":"once"}' : '{"ok":true}');
    });
    try {
      const t = createTransport({ provider: 'loop', baseURL: replica.url, retry: { baseDelayMs: 1 } });
      await t.json({ path: 'chat', body: {}, schema: anyObject });
      await t.json({ path: 'chat', body: {}, schema: anyObject });
      expect(replica.requests).toBe(4);
      expect(seen[0]).toBe(seen[1]);
      expect(seen[2]).toBe(seen[3]);
      expect(seen[0]).not.toBe(seen[2]);
    } finally {
      await replica.close();
    }
  });

  it('throws an error whose requestId is the id the server saw on every attempt', async () => {
    const seen: Array<string | undefined> = [];
    const replica = await loopback((req, res) => {
      seen.push(req.headers['x-request-id'] as string | undefined);
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"upstream down"}');
    });
    try {
      const t = createTransport({
        provider: 'loop',
        baseURL: replica.url,
        maxRetries: 2,
        retry: { baseDelayMs: 1 },
      });
      const error = await failure(t.json({ path: 'chat', body: {}, schema: anyObject }));
      expect(error).toBeInstanceOf(ServerError);
      expect(seen).toHaveLength(3);
      expect(new Set(seen)).toEqual(new Set([error.requestId]));
    } finally {
      await replica.close();
    }
  });
});
