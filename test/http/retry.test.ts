import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, RateLimitError, ServerError } from '../../src/errors.ts';
import { createTransport } from '../../src/http/index.ts';
import type { TransportOptions } from '../../src/http/types.ts';
import { anyObject, eventLog, failure } from './support.ts';

const BASE = 'https://api.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Answer each request to /chat with the next response in `answers` (the last one repeats). */
function answer(...answers: Array<() => Response>) {
  const seen: Request[] = [];
  server.use(
    http.post(`${BASE}/chat`, ({ request }) => {
      seen.push(request.clone());
      return answers[Math.min(seen.length, answers.length) - 1]!();
    }),
  );
  return seen;
}

const ok = () => HttpResponse.json({ ok: true });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    HttpResponse.json({ error: { message: `status ${code}` } }, { status: code, headers });

function transport(options: Partial<TransportOptions> = {}) {
  return createTransport({
    provider: 'test',
    baseURL: BASE,
    apiKey: 'sk-test-retry-key-123456',
    retry: { baseDelayMs: 1, maxDelayMs: 5, random: () => 0 },
    ...options,
  });
}

const post = (t: ReturnType<typeof transport>, extra = {}) =>
  t.json({ path: 'chat', body: { q: 1 }, schema: anyObject, ...extra });

describe('retry matrix', () => {
  it.each([408, 409, 429, 500, 502, 503, 504])('retries HTTP %i and then succeeds', async (code) => {
    const seen = answer(status(code), ok);
    await expect(post(transport())).resolves.toEqual({ ok: true });
    expect(seen).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 422])('does not retry HTTP %i', async (code) => {
    const seen = answer(status(code), ok);
    const error = await failure(post(transport()));
    expect(error.status).toBe(code);
    expect(seen).toHaveLength(1);
  });

  it('makes at most maxRetries + 1 attempts, then throws the last error', async () => {
    const seen = answer(status(503));
    const error = await failure(post(transport({ maxRetries: 3 })));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.status).toBe(503);
    expect(seen).toHaveLength(4);
  });

  it('makes 3 attempts by default (maxRetries 2)', async () => {
    const seen = answer(status(500));
    await failure(post(transport()));
    expect(seen).toHaveLength(3);
  });

  it('makes one attempt with maxRetries 0 on the request', async () => {
    const seen = answer(status(500));
    await failure(post(transport(), { maxRetries: 0 }));
    expect(seen).toHaveLength(1);
  });

  it('retries a network error', async () => {
    const seen = answer(() => HttpResponse.error(), ok);
    await expect(post(transport())).resolves.toEqual({ ok: true });
    expect(seen).toHaveLength(2);
  });

  it('does not retry when the server says x-should-retry: false', async () => {
    const seen = answer(status(503, { 'x-should-retry': 'false' }), ok);
    await failure(post(transport()));
    expect(seen).toHaveLength(1);
  });

  it('retries when the server says x-should-retry: true, even on a 400', async () => {
    const seen = answer(status(400, { 'x-should-retry': 'true' }), ok);
    await expect(post(transport())).resolves.toEqual({ ok: true });
    expect(seen).toHaveLength(2);
  });
});

describe('backoff delays', () => {
  async function delaysFor(first: () => Response, options: Partial<TransportOptions> = {}) {
    answer(first, ok);
    const log = eventLog();
    await post(transport({ onEvent: log.onEvent, ...options }));
    return log.of('retry').map((event) => (event as { delayMs: number }).delayMs);
  }

  it('honours Retry-After of 2 s on 429 (seconds form)', async () => {
    // maxRetryAfterMs is large enough; the wait itself is skipped by asserting the planned delay with maxRetries 1.
    answer(status(429, { 'retry-after': '2' }), ok);
    const log = eventLog();
    const started = performance.now();
    const controller = new AbortController();
    const call = post(transport({ onEvent: log.onEvent }), { signal: controller.signal });
    await vitestWaitFor(() => log.of('retry').length === 1);
    controller.abort();
    await failure(call);
    expect(log.of('retry')[0]).toMatchObject({ type: 'retry', attempt: 2, delayMs: 2000, status: 429 });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const date = new Date(Date.now() + 30_000).toUTCString();
    answer(status(503, { 'retry-after': date }), ok);
    const log = eventLog();
    const controller = new AbortController();
    const call = post(transport({ onEvent: log.onEvent }), { signal: controller.signal });
    await vitestWaitFor(() => log.of('retry').length === 1);
    controller.abort();
    await failure(call);
    const { delayMs } = log.of('retry')[0] as { delayMs: number };
    // HTTP dates have 1 s resolution.
    expect(delayMs).toBeGreaterThan(28_000);
    expect(delayMs).toBeLessThanOrEqual(30_000);
  });

  it('honours retry-after-ms over Retry-After', async () => {
    expect(await delaysFor(status(429, { 'retry-after-ms': '7', 'retry-after': '100' }))).toEqual([7]);
  });

  it('falls back to its own backoff when Retry-After exceeds maxRetryAfterMs', async () => {
    const delays = await delaysFor(status(429, { 'retry-after': '3600' }), {
      retry: { baseDelayMs: 4, maxDelayMs: 8, maxRetryAfterMs: 60_000, random: () => 0 },
    });
    expect(delays).toEqual([4]);
  });

  it('keeps the huge hint on the final RateLimitError', async () => {
    answer(status(429, { 'retry-after': '3600' }));
    const error = await failure(post(transport({ maxRetries: 0 })));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfterMs).toBe(3_600_000);
  });

  it('doubles the delay each retry up to maxDelayMs', async () => {
    answer(status(500), status(500), status(500), ok);
    const log = eventLog();
    await post(
      transport({
        maxRetries: 3,
        onEvent: log.onEvent,
        retry: { baseDelayMs: 2, maxDelayMs: 6, random: () => 0 },
      }),
    );
    expect(log.of('retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([2, 4, 6]);
  });

  it('jitters the delay down by at most 25%', async () => {
    const low = await delaysFor(status(500), { retry: { baseDelayMs: 8, random: () => 0.999_999 } });
    const high = await delaysFor(status(500), { retry: { baseDelayMs: 8, random: () => 0 } });
    expect(high).toEqual([8]);
    expect(low[0]).toBeGreaterThanOrEqual(6);
    expect(low[0]).toBeLessThan(6.001);
  });

  it('uses about 0.5 s then 1 s by default', async () => {
    answer(status(500));
    const log = eventLog();
    const controller = new AbortController();
    const t = createTransport({
      provider: 'test',
      baseURL: BASE,
      onEvent: log.onEvent,
      retry: { random: () => 0 },
    });
    const call = post(t, { signal: controller.signal });
    await vitestWaitFor(() => log.of('retry').length === 1);
    controller.abort();
    await failure(call);
    expect(log.of('retry')[0]).toMatchObject({ delayMs: 500 });
  });
});

describe('idempotency and auth across retries', () => {
  it('sends the same Idempotency-Key on every retry of one call', async () => {
    const seen = answer(status(500), status(500), ok);
    await post(transport());
    const keys = seen.map((request) => request.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^mlkit-/);
    expect(new Set(keys).size).toBe(1);
    expect(keys).toHaveLength(3);
  });

  it('mints a new Idempotency-Key for each logical call', async () => {
    const seen = answer(ok);
    const t = transport();
    await post(t);
    await post(t);
    expect(seen[0]!.headers.get('idempotency-key')).not.toBe(seen[1]!.headers.get('idempotency-key'));
  });

  it('uses the caller-given idempotencyKey', async () => {
    const seen = answer(ok);
    await post(transport(), { idempotencyKey: 'mine-1' });
    expect(seen[0]!.headers.get('idempotency-key')).toBe('mine-1');
  });

  it('sends no Idempotency-Key on GET', async () => {
    let header: string | null = 'unset';
    server.use(
      http.get(`${BASE}/models`, ({ request }) => {
        header = request.headers.get('idempotency-key');
        return HttpResponse.json({ data: [] });
      }),
    );
    await transport().json({ method: 'GET', path: 'models', schema: anyObject });
    expect(header).toBeNull();
  });

  it('sends the auth header on every retry', async () => {
    const seen = answer(status(502), status(502), ok);
    await post(transport());
    expect(seen.map((r) => r.headers.get('authorization'))).toEqual(
      Array(3).fill('Bearer sk-test-retry-key-123456'),
    );
  });
});

describe('abort', () => {
  it('abort during backoff rejects at once with AbortError', async () => {
    const seen = answer(status(503));
    const log = eventLog();
    const controller = new AbortController();
    const t = transport({ onEvent: log.onEvent, retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 } });
    const call = post(t, { signal: controller.signal });
    await vitestWaitFor(() => log.of('retry').length === 1);
    const started = performance.now();
    controller.abort();
    const error = await failure(call);
    // The backoff is 5 s; rejecting well under it shows the sleep was cancelled, not waited out.
    expect(performance.now() - started).toBeLessThan(200);
    expect(error).toBeInstanceOf(AbortError);
    expect(seen).toHaveLength(1);
  });

  it('rejects with AbortError and sends nothing when the signal is already aborted', async () => {
    const seen = answer(ok);
    const error = await failure(post(transport(), { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(AbortError);
    expect(seen).toHaveLength(0);
  });

  it('surfaces the TimeoutError a total deadline put on the signal', async () => {
    answer(status(503));
    const { deadline } = await import('../../src/abort.ts');
    const limit = deadline(undefined, 30, 'total');
    const t = transport({ retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 } });
    const error = await failure(post(t, { signal: limit.signal }));
    expect(error).toMatchObject({ name: 'TimeoutError', kind: 'total' });
  });
});

describe('events', () => {
  it('reports request, response, retry and error with attempts', async () => {
    answer(status(500), status(429, { 'retry-after-ms': '1' }), status(400));
    const log = eventLog();
    await failure(post(transport({ onEvent: log.onEvent, modelId: 'test:m' })));
    expect(log.events.map((e) => `${e.type}${'attempt' in e ? e.attempt : ''}`)).toEqual([
      'request1',
      'response1',
      'retry2',
      'request2',
      'response2',
      'retry3',
      'request3',
      'response3',
      'error3',
    ]);
    expect(log.events[0]).toEqual({
      type: 'request',
      modelId: 'test:m',
      requestId: expect.any(String),
      attempt: 1,
      method: 'POST',
      url: `${BASE}/chat`,
    });
    expect(log.events[1]).toMatchObject({ type: 'response', status: 500, durationMs: expect.any(Number) });
    expect(log.events[2]).toMatchObject({
      type: 'retry',
      status: 500,
      reason: expect.stringContaining('HTTP 500'),
    });
  });

  it('sends events to both the transport and the request listener', async () => {
    answer(ok);
    const a = eventLog();
    const b = eventLog();
    await post(transport({ onEvent: a.onEvent }), { onEvent: b.onEvent });
    expect(a.events.map((e) => e.type)).toEqual(['request', 'response']);
    expect(b.events).toEqual(a.events);
  });

  it('keeps secret query parameters out of event URLs', async () => {
    server.use(http.get(`${BASE}/models`, () => HttpResponse.json({})));
    const log = eventLog();
    await transport({ onEvent: log.onEvent }).json({
      method: 'GET',
      path: 'models?key=AIzaSecret123&alt=json',
      schema: anyObject,
    });
    const { url } = log.of('request')[0] as { url: string };
    expect(url).not.toContain('AIzaSecret123');
    expect(url).toContain('alt=json');
  });
});

async function vitestWaitFor(check: () => boolean) {
  const end = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
