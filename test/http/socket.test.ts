import { getEventListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, NetworkError, TimeoutError } from '../../src/errors.ts';
import { createTransport } from '../../src/http/index.ts';
import type { TransportOptions } from '../../src/http/types.ts';
import { anyObject, collect, eventLog, failure, type LoopbackServer, loopback, until } from './support.ts';

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function transport(options: Partial<TransportOptions> = {}) {
  return createTransport({
    provider: 'test',
    baseURL: server!.url,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
}
// Undici may open a spare connection after one is destroyed: watch the one that served the request.
const servedSocketClosed = () => server!.closed.has(server!.sockets[0]!);
const openStream = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const stream = (t: ReturnType<typeof transport>, extra = {}) =>
  t.stream({ path: 'chat', body: { stream: true }, ...extra });

describe('streams over a socket', () => {
  it('delivers events as the server writes them', async () => {
    server = await loopback((_, res) => {
      openStream(res);
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\ndata: [DONE]\n\n'), 10);
    });
    expect((await collect(stream(transport()))).map((e) => e.data)).toEqual(['1', '2', '[DONE]']);
  });

  it('closes the connection when the caller breaks out of for await', async () => {
    server = await loopback((_, res) => {
      openStream(res);
      const timer = setInterval(() => res.write('data: tick\n\n'), 5);
      res.on('close', () => clearInterval(timer));
    });
    let seen = 0;
    for await (const _ of stream(transport())) if (++seen === 2) break;
    await until(() => servedSocketClosed());
  });

  it('closes the connection when the caller aborts mid-stream, rejecting with AbortError', async () => {
    server = await loopback((_, res) => {
      openStream(res);
      res.write('data: first\n\n');
    });
    const controller = new AbortController();
    const iterator = stream(transport(), { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.data).toBe('first');
    const pending = iterator.next();
    controller.abort();
    expect(await failure(pending)).toBeInstanceOf(AbortError);
    await until(() => servedSocketClosed());
  });

  it('throws NetworkError when the connection resets mid-stream, and does not retry', async () => {
    server = await loopback((req, res) => {
      openStream(res);
      res.write('data: partial\n\n');
      setTimeout(() => req.socket.destroy(), 10);
    });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of stream(transport())) seen.push(event.data);
      })(),
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect(seen).toEqual(['partial']);
    expect(server.requests).toBe(1);
  });

  it('throws TimeoutError idle when the stream stalls after an event', async () => {
    server = await loopback((_, res) => {
      openStream(res);
      res.write('data: one\n\n');
    });
    const log = eventLog();
    const error = await failure(collect(stream(transport({ idleTimeoutMs: 50, onEvent: log.onEvent }))));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'idle', timeoutMs: 50 });
    expect(server.requests).toBe(1);
    expect(log.of('error')).toHaveLength(1);
    await until(() => servedSocketClosed());
  });

  it('counts only time spent waiting on the server as idle, not time the caller spends on an event', async () => {
    server = await loopback((_, res) => {
      openStream(res);
      res.write('data: a\n\n');
      setTimeout(() => res.end('data: b\n\n'), 10);
    });
    const out: string[] = [];
    for await (const event of stream(transport({ idleTimeoutMs: 40 }))) {
      out.push(event.data);
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    expect(out).toEqual(['a', 'b']);
  });

  it('retries a first-chunk timeout before the first event', async () => {
    server = await loopback((_, res, n) => {
      openStream(res);
      if (n === 1) return; // headers, then silence
      res.end('data: late but fine\n\n');
    });
    const log = eventLog();
    const events = await collect(stream(transport({ firstChunkTimeoutMs: 50, onEvent: log.onEvent })));
    expect(events.map((e) => e.data)).toEqual(['late but fine']);
    expect(server.requests).toBe(2);
    expect(log.of('retry')[0]).toMatchObject({ reason: expect.stringContaining('firstChunkTimeoutMs') });
  });

  it('throws TimeoutError first-chunk after the retries are spent', async () => {
    server = await loopback((_, res) => openStream(res));
    const error = await failure(collect(stream(transport({ firstChunkTimeoutMs: 30, maxRetries: 1 }))));
    expect(error).toMatchObject({ name: 'TimeoutError', kind: 'first-chunk' });
    expect(server.requests).toBe(2);
  });

  it('never retries after the first event', async () => {
    server = await loopback((req, res) => {
      openStream(res);
      res.write('data: started\n\n');
      setTimeout(() => req.socket.destroy(), 5);
    });
    await failure(collect(stream(transport({ maxRetries: 5 }))));
    expect(server.requests).toBe(1);
  });

  it('retries a connection reset before the first event', async () => {
    server = await loopback((req, res, n) => {
      if (n === 1) return req.socket.destroy();
      openStream(res);
      res.end('data: ok\n\n');
    });
    expect((await collect(stream(transport()))).map((e) => e.data)).toEqual(['ok']);
    expect(server.requests).toBe(2);
  });
});

describe('json over a socket', () => {
  it('times out an attempt that gets no response, retries it, then throws TimeoutError attempt', async () => {
    server = await loopback(() => {}); // never answers
    const error = await failure(
      transport({ timeoutMs: 30, maxRetries: 1 }).json({ path: 'x', body: {}, schema: anyObject }),
    );
    expect(error).toMatchObject({ name: 'TimeoutError', kind: 'attempt', timeoutMs: 30 });
    expect(server.requests).toBe(2);
  });

  it('throws NetworkError when the body is cut short', async () => {
    server = await loopback((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => req.socket.destroy(), 5);
    });
    const error = await failure(
      transport({ maxRetries: 0 }).json({ path: 'x', body: {}, schema: anyObject }),
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('reading the response body');
  });

  it('throws NetworkError when nothing listens on the port', async () => {
    server = await loopback(() => {});
    const url = server.url;
    await server.close();
    const t = createTransport({ provider: 'test', baseURL: url, maxRetries: 0 });
    const error = await failure(t.json({ path: 'x', schema: anyObject }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('adds no abort listeners to a signal shared by hundreds of calls (no MaxListenersExceededWarning)', async () => {
    const failed = new Set<string>();
    server = await loopback((req, res) => {
      // Every call fails once, so that 200 backoff sleeps are pending at the same time.
      const key = String(req.headers['idempotency-key']);
      if (!failed.has(key)) {
        failed.add(key);
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const controller = new AbortController();
    const log = eventLog();
    const t = transport({ onEvent: log.onEvent, retry: { baseDelayMs: 300, maxDelayMs: 300 } });
    const calls = Array.from({ length: 200 }, () =>
      t.json({ path: 'x', body: {}, schema: anyObject, signal: controller.signal }),
    );
    await until(() => log.of('retry').length === 200, 5000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await Promise.all(calls);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('calls a custom fetch with a URL and init, as the undici package fetch with an Agent needs', async () => {
    server = await loopback((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ body, auth: req.headers.authorization })),
      );
    });
    const inputs: unknown[] = [];
    // undici's own fetch rejects a Request built by Node's copy of undici: "Failed to parse URL from [object Request]".
    const undiciLike: typeof fetch = (input, init) => {
      inputs.push(input);
      if (typeof input !== 'string')
        return Promise.reject(new TypeError(`Failed to parse URL from ${String(input)}`));
      return fetch(input, init);
    };
    const t = transport({ fetch: undiciLike, apiKey: 'undici-key-0123456789' });
    const result = await t.json({ path: 'x', body: { hello: 'wörld' }, schema: anyObject });
    expect(result).toEqual({ body: '{"hello":"wörld"}', auth: 'Bearer undici-key-0123456789' });
    expect(inputs).toEqual([`${server.url}/x`]);
  });

  it('lets a call override transport headers whatever their case', async () => {
    let seen: Record<string, unknown> = {};
    server = await loopback((req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const t = transport({ headers: { 'X-Team': 'a', 'Content-Type': 'application/json; charset=utf-8' } });
    await t.json({ path: 'x', body: {}, schema: anyObject, headers: { 'x-team': 'b' } });
    expect(seen['x-team']).toBe('b');
    expect(seen['content-type']).toBe('application/json; charset=utf-8');
  });

  it('times out a stream whose headers never come with TimeoutError attempt', async () => {
    server = await loopback(() => {});
    const error = await failure(collect(stream(transport({ timeoutMs: 30, maxRetries: 0 }))));
    expect(error).toMatchObject({ name: 'TimeoutError', kind: 'attempt' });
  });

  it('surfaces a total deadline on the signal mid-stream as TimeoutError total', async () => {
    server = await loopback((_, res) => {
      openStream(res);
      res.write('data: a\n\n');
    });
    const { deadline } = await import('../../src/abort.ts');
    const limit = deadline(undefined, 50, 'total');
    const error = await failure(collect(stream(transport(), { signal: limit.signal })));
    expect(error).toMatchObject({ name: 'TimeoutError', kind: 'total' });
    await until(() => servedSocketClosed());
  });
});
