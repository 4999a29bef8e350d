// A Retry-After above maxRetryAfterMs (default 60 s) is not waited out: the transport falls back to
// its own backoff and reports that delay. Asserted on the reported delay, never on elapsed time.
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitError } from '../../src/errors.ts';
import { createTransport } from '../../src/http/index.ts';
import { anyObject, eventLog, failure } from './support.ts';

const BASE = 'https://api.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Every request to /chat gets 429 with `Retry-After: 3600` (an hour); counts them. */
function rateLimitedForAnHour() {
  const seen = { requests: 0 };
  server.use(
    http.post(`${BASE}/chat`, () => {
      seen.requests++;
      return HttpResponse.json(
        { error: { message: 'slow down' } },
        { status: 429, headers: { 'retry-after': '3600' } },
      );
    }),
  );
  return seen;
}

// Own backoff of 4 ms (no jitter); maxRetryAfterMs left at its default.
const transport = (onEvent: ReturnType<typeof eventLog>['onEvent'], maxRetries: number) =>
  createTransport({
    provider: 'test',
    baseURL: BASE,
    maxRetries,
    retry: { baseDelayMs: 4, maxDelayMs: 8, random: () => 0 },
    onEvent,
  });

const delaysOf = (log: ReturnType<typeof eventLog>) =>
  log.of('retry').map((event) => (event as { delayMs: number }).delayMs);

describe('Retry-After above its cap', () => {
  it('plans its own backoff, not the hour, for a 429 with Retry-After: 3600', async () => {
    rateLimitedForAnHour();
    const log = eventLog();
    const controller = new AbortController();
    // Its failure is taken at once: the 4 ms backoff may end, and the retry fail, before the abort below.
    const call = failure(
      transport(log.onEvent, 1).json({
        path: 'chat',
        body: {},
        schema: anyObject,
        signal: controller.signal,
      }),
    );
    // The planned delay is reported before the wait starts; abort so no delay is ever waited out.
    await expect.poll(() => log.of('retry').length).toBe(1);
    controller.abort();
    await call;
    expect(delaysOf(log)).toEqual([4]);
  });

  it('gives up with RateLimitError carrying the hour in retryAfterMs once its retries are spent', async () => {
    const seen = rateLimitedForAnHour();
    const log = eventLog();
    const call = failure(transport(log.onEvent, 2).json({ path: 'chat', body: {}, schema: anyObject }));
    // At most 2 s: a call that waits out the hour fails the assertions below instead of hanging the test.
    const error = await Promise.race([
      call,
      new Promise((resolve) => setTimeout(resolve, 2_000, 'still waiting after 2 s')),
    ]);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3_600_000 });
    expect(seen.requests).toBe(3);
    expect(delaysOf(log)).toEqual([4, 8]);
  });
});
