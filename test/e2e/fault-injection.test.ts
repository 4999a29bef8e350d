// 1,000 calls (run and stream) against a loopback server that randomly answers 429 + retry-after-ms,
// 500, 503, resets or stalls. Every call must end with the right answer or a typed mlkit error,
// within maxRetries + 1 attempts, with no unhandled rejection; bounded in count, concurrency and time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAICompatible, isMlkitError, type ModelEvent } from '../../src/index.ts';
import { echoReply, type OpenAIServer, randomFaults, startOpenAIServer } from '../support/openai-server.ts';

const CALLS = 1000;
const CONCURRENCY = 32;
const MAX_RETRIES = 2;
/** The errors a call may end with when the server keeps failing; anything else is a bug. */
const EXPECTED_CODES = new Set(['rate_limit', 'server', 'network', 'timeout']);

type Outcome = { index: number; ok: true } | { index: number; ok: false; code: string; error: unknown };

describe('fault injection over a loopback socket', () => {
  let server: OpenAIServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startOpenAIServer({
      fault: randomFaults(
        {
          rateLimit: 0.08,
          serverError: 0.06,
          unavailable: 0.06,
          reset: 0.05,
          stall: 0.03,
          resetMidStream: 0.04,
          stallMidStream: 0.03,
          errorInStream: 0.02,
        },
        { seed: 20_240_601, maxRetryAfterMs: 20 },
      ),
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await server?.close();
  });

  it(`ends each of ${CALLS} calls with the right answer or a typed error, within ${MAX_RETRIES + 1} attempts`, async () => {
    const started = performance.now();
    const attemptsSeen = new Map<number, number>();
    const provider = createOpenAICompatible({
      name: 'flaky',
      baseURL: server.url,
      maxRetries: MAX_RETRIES,
      // Short limits so that stalls end fast: headers and JSON bodies, and the gap between stream events.
      timeoutMs: 300,
      idleTimeoutMs: 200,
      retry: { baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 100 },
    });
    const chat = provider.textGeneration('echo-1');

    async function call(index: number): Promise<Outcome> {
      const prompt = `request ${index} says hällo`;
      const expected = echoReply(prompt);
      const options = {
        headers: { 'x-request-id': `call-${index}` },
        onEvent: (event: ModelEvent) => {
          if (event.type === 'request') attemptsSeen.set(index, (attemptsSeen.get(index) ?? 0) + 1);
        },
      };
      try {
        if (index % 2 === 0) {
          const output = await chat.run({ prompt }, options);
          expect(output.text).toBe(expected.text);
          expect(output.finishReason).toBe('stop');
        } else {
          let text = '';
          let finish: unknown;
          for await (const chunk of chat.stream({ prompt }, options)) {
            if (chunk.type === 'text-delta') text += chunk.text;
            else finish = chunk;
          }
          expect(text).toBe(expected.text);
          expect(finish).toMatchObject({
            type: 'finish',
            finishReason: 'stop',
            usage: { outputTokens: expected.pieces.length },
          });
        }
        return { index, ok: true };
      } catch (error) {
        if (!isMlkitError(error)) throw error; // a failed expect or an untyped error fails the test
        return { index, ok: false, code: error.code, error };
      }
    }

    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      while (next < CALLS) outcomes.push(await call(next++));
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const durationMs = Math.round(performance.now() - started);

    const errors: Record<string, number> = {};
    for (const outcome of outcomes) if (!outcome.ok) errors[outcome.code] = (errors[outcome.code] ?? 0) + 1;
    const serverAttempts = [...server.stats.attempts.values()];
    const totals = {
      calls: outcomes.length,
      ok: outcomes.filter((outcome) => outcome.ok).length,
      errors,
      attempts: serverAttempts.reduce((sum, n) => sum + n, 0),
      maxAttemptsPerCall: Math.max(...serverAttempts),
      faults: server.stats.faults,
      durationMs,
    };
    console.log(`fault-injection totals ${JSON.stringify(totals)}`);

    expect(outcomes).toHaveLength(CALLS);
    const unexpected = outcomes.filter((outcome) => !outcome.ok && !EXPECTED_CODES.has(outcome.code));
    expect(unexpected.map((outcome) => String((outcome as { error: unknown }).error))).toEqual([]);
    // Every call reached the server, none more than maxRetries + 1 times (counted on both ends).
    expect(server.stats.attempts.size).toBe(CALLS);
    expect(totals.maxAttemptsPerCall).toBeLessThanOrEqual(MAX_RETRIES + 1);
    expect(Math.max(...attemptsSeen.values())).toBeLessThanOrEqual(MAX_RETRIES + 1);
    // The faults really happened, and retries turned most of them into answers.
    expect(totals.attempts).toBeGreaterThan(CALLS);
    for (const kind of [
      'status',
      'reset',
      'stall',
      'reset-mid-stream',
      'stall-mid-stream',
      'error-in-stream',
    ] as const) {
      expect(server.stats.faults[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(totals.ok).toBeGreaterThan(CALLS * 0.8);
    expect(totals.ok).toBeLessThan(CALLS);
    expect(unhandled).toEqual([]);
  }, 90_000);
});
