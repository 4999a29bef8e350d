import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../src/abort.ts';
import {
  breakEven,
  defineModel,
  InvalidInputError,
  type ModelEvent,
  meter,
  ServerError,
  textGeneration,
} from '../../src/index.ts';
import { collect } from './models.ts';

const prompt = { prompt: 'hi' };

/** A model that answers after `durationMs` with a fixed usage; fails instead when `fail` is set. */
function usageModel(usage: { inputTokens: number; outputTokens: number }, durationMs = 0, fail = false) {
  return defineModel({
    id: 'test:usage',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true },
    async run(_input, { signal }) {
      await sleep(durationMs, signal);
      if (fail) throw new ServerError('503');
      return { text: 'ok', finishReason: 'stop', usage };
    },
    async *stream(_input, { signal }) {
      await sleep(durationMs, signal);
      yield { type: 'text-delta', text: 'ok' };
      yield { type: 'finish', finishReason: 'stop', usage };
    },
  });
}

// Hosted prices for the tests: $0.15 / 1M input, $0.60 / 1M output, $0.0001 per request.
const hostedPricing = {
  usdPerMillionInputTokens: 0.15,
  usdPerMillionOutputTokens: 0.6,
  usdPerRequest: 0.0001,
};
// 1200 input tokens: 1200 * 0.15 / 1e6 = 0.00018; 300 output: 300 * 0.6 / 1e6 = 0.00018; + 0.0001.
const hostedCallUsd = 0.00046;

/** Run `call` while fake timers advance by `ms`. */
async function during<R>(ms: number, call: () => Promise<R>): Promise<R> {
  const pending = call();
  await vi.advanceTimersByTimeAsync(ms);
  return pending;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('meter', () => {
  it('prices a call per 1M input and output tokens and per request, in usage.costUsd', async () => {
    const model = meter(usageModel({ inputTokens: 1200, outputTokens: 300 }), hostedPricing);
    const output = await model.run(prompt);
    expect(output.usage.costUsd).toBeCloseTo(hostedCallUsd, 12);
    expect(output.usage.inputTokens).toBe(1200);
  });

  it('sums calls, tokens and cost in totals()', async () => {
    const model = meter(usageModel({ inputTokens: 1200, outputTokens: 300 }), hostedPricing);
    await model.run(prompt);
    await model.run(prompt);
    const totals = model.totals();
    expect(totals).toMatchObject({
      modelId: 'test:usage',
      calls: 2,
      failedCalls: 0,
      inputTokens: 2400,
      outputTokens: 600,
    });
    expect(totals.costUsd).toBeCloseTo(2 * hostedCallUsd, 12);
  });

  it('prices compute-seconds from the measured duration of the call', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    // 1.5 s at $0.0005 per second = $0.00075.
    const model = meter(usageModel({ inputTokens: 10, outputTokens: 10 }, 1500), {
      usdPerComputeSecond: 0.0005,
    });
    const output = await during(1500, () => model.run(prompt));
    expect(output.usage.costUsd).toBeCloseTo(0.00075, 12);
    expect(model.totals().computeMs).toBe(1500);
  });

  it('puts the cost on a stream’s finish chunk and counts the stream', async () => {
    const model = meter(usageModel({ inputTokens: 1200, outputTokens: 300 }), hostedPricing);
    const chunks = await collect(model.stream(prompt));
    const finish = chunks.at(-1) as { type: string; usage: { costUsd?: number } };
    expect(finish.type).toBe('finish');
    expect(finish.usage.costUsd).toBeCloseTo(hostedCallUsd, 12);
    expect(model.totals().calls).toBe(1);
  });

  it('sends a cost event per call', async () => {
    const model = meter(usageModel({ inputTokens: 1200, outputTokens: 300 }), hostedPricing);
    const events: ModelEvent[] = [];
    await model.run(prompt, { onEvent: (event) => events.push(event) });
    const cost = events.find((event) => event.type === 'cost');
    expect(cost).toMatchObject({
      type: 'cost',
      modelId: 'meter:test:usage',
      inputTokens: 1200,
      outputTokens: 300,
    });
    expect((cost as { costUsd: number }).costUsd).toBeCloseTo(hostedCallUsd, 12);
  });

  it('counts a failed call without pricing it', async () => {
    const model = meter(usageModel({ inputTokens: 1200, outputTokens: 300 }, 0, true), hostedPricing);
    await expect(model.run(prompt)).rejects.toBeInstanceOf(ServerError);
    expect(model.totals()).toMatchObject({ calls: 0, failedCalls: 1, costUsd: 0 });
  });

  it('refuses a negative price, naming it', () => {
    const error = (() => {
      try {
        meter(usageModel({ inputTokens: 1, outputTokens: 1 }), { usdPerRequest: -1 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/pricing\.usdPerRequest/);
  });
});

describe('breakEven', () => {
  it('finds the monthly volume where the fixed cost plus self-run calls beats the hosted calls', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const hosted = meter(usageModel({ inputTokens: 1200, outputTokens: 300 }), hostedPricing);
    // 200 ms at $0.0005 per second = $0.0001 per call, plus $1000 a month for the machine.
    const selfRun = meter(usageModel({ inputTokens: 1200, outputTokens: 300 }, 200), {
      usdPerComputeSecond: 0.0005,
      usdPerMonth: 1000,
    });
    await during(0, () => hosted.run(prompt));
    await during(0, () => hosted.run(prompt));
    await during(200, () => selfRun.run(prompt));
    const result = breakEven({ hosted, selfRun });
    expect(result.hostedUsdPerCall).toBeCloseTo(0.00046, 12);
    expect(result.selfRunUsdPerCall).toBeCloseTo(0.0001, 12);
    expect(result.selfRunUsdPerMonth).toBe(1000);
    // 1000 / (0.00046 - 0.0001) = 2,777,777.8: self-running is cheaper from 2,777,778 calls a month.
    expect(result.callsPerMonth).toBe(2_777_778);
  });

  it('says Infinity when a self-run call costs as much as a hosted one or more', async () => {
    const hosted = meter(usageModel({ inputTokens: 1000, outputTokens: 0 }), { usdPerRequest: 0.001 });
    const selfRun = meter(usageModel({ inputTokens: 1000, outputTokens: 0 }), {
      usdPerRequest: 0.002,
      usdPerMonth: 10,
    });
    await hosted.run(prompt);
    await selfRun.run(prompt);
    expect(breakEven({ hosted, selfRun }).callsPerMonth).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses to guess before a side has measured calls', () => {
    const hosted = meter(usageModel({ inputTokens: 1, outputTokens: 1 }), hostedPricing);
    const selfRun = meter(usageModel({ inputTokens: 1, outputTokens: 1 }), { usdPerMonth: 10 });
    expect(() => breakEven({ hosted, selfRun })).toThrow(/hosted \(test:usage\) has no measured calls/);
  });
});
