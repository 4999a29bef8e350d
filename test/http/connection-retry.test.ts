// Connection errors (refused, reset, closed before any response) are retried at once on a fresh
// connection, then with the backoff; real sockets on 127.0.0.1, no msw.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/errors.ts';
import {
  backoffDelayMs,
  createTransport,
  defaultRetryPolicy,
  isConnectionError,
  type TransportOptions,
} from '../../src/http/index.ts';
import { deadPort } from '../support/dead-port.ts';
import { anyObject, collect, eventLog, failure, type LoopbackServer, loopback, until } from './support.ts';

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A transport with a 4 ms backoff and no jitter, counting the fetches it makes (one per attempt). */
function transport(baseURL: string, options: Partial<TransportOptions> = {}) {
  const log = eventLog();
  const counter = { fetches: 0 };
  const t = createTransport({
    provider: 'test',
    baseURL,
    retry: { baseDelayMs: 4, random: () => 0 },
    onEvent: log.onEvent,
    fetch: (input, init) => {
      counter.fetches++;
      return globalThis.fetch(input, init);
    },
    ...options,
  });
  const post = () => t.json({ path: 'chat', body: { q: 1 }, schema: anyObject });
  const delays = () => log.of('retry').map((event) => (event as { delayMs: number }).delayMs);
  return { t, post, delays, counter, log };
}

/** Answer `{ ok: true }`. */
function ok(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
}

/** Answer 503. */
function busy(res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json' });
  res.end('{"error":"busy"}');
}

describe('connection errors', () => {
  it('retries a refused connection at once, then with the backoff', async () => {
    const { post, delays, counter } = transport(`http://127.0.0.1:${await deadPort()}/v1`);
    const error = await failure(post());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('ECONNREFUSED');
    expect(counter.fetches).toBe(3);
    expect(delays()).toEqual([0, 8]);
  });

  it('calls a refused connection a connection error', async () => {
    const { post } = transport(`http://127.0.0.1:${await deadPort()}/v1`, { maxRetries: 0 });
    expect(isConnectionError(await failure(post()))).toBe(true);
  });

  it('retries a connection closed before any response at once, on a fresh connection, with the same Idempotency-Key', async () => {
    const keys: unknown[] = [];
    server = await loopback((req, res, n) => {
      keys.push(req.headers['idempotency-key']);
      if (n === 1) return req.socket.destroy();
      ok(res);
    });
    const { post, delays } = transport(server.url);
    await expect(post()).resolves.toEqual({ ok: true });
    expect(delays()).toEqual([0]);
    expect(server.sockets).toHaveLength(2);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^mlkit-/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('retries a connection reset before any response at once', async () => {
    server = await loopback((req, res, n) => {
      if (n === 1) return req.socket.resetAndDestroy();
      ok(res);
    });
    const { post, delays, log } = transport(server.url);
    await expect(post()).resolves.toEqual({ ok: true });
    expect(delays()).toEqual([0]);
    expect((log.of('retry')[0] as { reason: string }).reason).toContain('ECONNRESET');
  });

  it('waits connectionRetryDelayMs before the first retry after a connection error', async () => {
    const { post, delays } = transport(`http://127.0.0.1:${await deadPort()}/v1`, {
      retry: { baseDelayMs: 4, connectionRetryDelayMs: 3, random: () => 0 },
    });
    await failure(post());
    expect(delays()).toEqual([3, 8]);
  });

  it('retries a connection error at once after a server error, then backs off again', async () => {
    server = await loopback((req, res, n) => {
      if (n === 1) return busy(res);
      if (n === 2 || n === 3) return req.socket.destroy();
      ok(res);
    });
    const { post, delays } = transport(server.url, { maxRetries: 3 });
    await expect(post()).resolves.toEqual({ ok: true });
    expect(delays()).toEqual([4, 0, 16]);
  });

  it('makes no retry of a refused connection with maxRetries 0', async () => {
    const { post, counter, delays } = transport(`http://127.0.0.1:${await deadPort()}/v1`, { maxRetries: 0 });
    await failure(post());
    expect(counter.fetches).toBe(1);
    expect(delays()).toEqual([]);
  });

  it('retries a stream whose connection is refused at once, then with the backoff', async () => {
    const { t, delays, counter } = transport(`http://127.0.0.1:${await deadPort()}/v1`);
    const error = await failure(collect(t.stream({ path: 'chat', body: { q: 1 } })));
    expect(error).toBeInstanceOf(NetworkError);
    expect(counter.fetches).toBe(3);
    expect(delays()).toEqual([0, 8]);
  });
});

describe('errors that are not connection errors', () => {
  it('keeps the backoff for a server error', async () => {
    server = await loopback((_, res, n) => {
      if (n === 1) return busy(res);
      ok(res);
    });
    const { post, delays } = transport(server.url);
    await expect(post()).resolves.toEqual({ ok: true });
    expect(delays()).toEqual([4]);
  });

  it('keeps the backoff when the connection drops while the response body is read', async () => {
    server = await loopback((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"ok":');
        return setTimeout(() => req.socket.destroy(), 5);
      }
      ok(res);
    });
    const { post, delays, log } = transport(server.url);
    await expect(post()).resolves.toEqual({ ok: true });
    expect(delays()).toEqual([4]);
    expect((log.of('retry')[0] as { reason: string }).reason).toContain('reading the response body');
  });

  it('does not call a network error without a connection code a connection error', () => {
    expect(isConnectionError(new NetworkError('fetch failed'))).toBe(false);
  });
});

describe('default retry time span', () => {
  const waits = (retries: number, random: number) => {
    const policy = { ...defaultRetryPolicy, random: () => random };
    let total = 0;
    for (let retry = 1; retry <= retries; retry++) total += backoffDelayMs(retry, policy);
    return total;
  };

  it('gives up after 1.125-1.5 s of waits with the defaults (2 retries)', () => {
    expect(defaultRetryPolicy.maxRetries).toBe(2);
    expect(waits(2, 0)).toBe(1500);
    expect(waits(2, 0.999_999)).toBeCloseTo(1125, 2);
  });

  it('waits 2.625-3.5 s in all with maxRetries 3, past a balancer taking 2 s to mark a replica down', () => {
    expect(waits(3, 0)).toBe(3500);
    expect(waits(3, 0.999_999)).toBeCloseTo(2625, 2);
  });

  it('retries a refused connection after 0 ms by default', async () => {
    const log = eventLog();
    const controller = new AbortController();
    const t = createTransport({
      provider: 'test',
      baseURL: `http://127.0.0.1:${await deadPort()}/v1`,
      onEvent: log.onEvent,
      retry: { random: () => 0 },
    });
    const call = t.json({ path: 'chat', body: {}, schema: anyObject, signal: controller.signal });
    // The second retry waits the default 1 s backoff; stop there.
    await until(() => log.of('retry').length === 2);
    controller.abort();
    await failure(call);
    expect(log.of('retry').map((event) => (event as { delayMs: number }).delayMs)).toEqual([0, 1000]);
  });
});
