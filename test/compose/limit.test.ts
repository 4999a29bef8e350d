import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  defineModel,
  InvalidInputError,
  limit,
  type ModelEvent,
  ServerError,
  type TextGenerationTask,
  TimeoutError,
  textGeneration,
} from '../../src/index.ts';
import { collect } from './models.ts';

const prompt = { prompt: 'hi' };

/** A model whose calls wait until the test opens them one by one; usage is `tokens` per call. */
function gatedModel(tokens = 10) {
  const pending: (() => void)[] = [];
  let started = 0;
  let running = 0;
  let mostRunning = 0;
  const usage = { inputTokens: tokens / 2, outputTokens: tokens / 2 };
  const enter = async (signal: AbortSignal) => {
    started++;
    running++;
    mostRunning = Math.max(mostRunning, running);
    try {
      await new Promise<void>((resolve, reject) => {
        pending.push(resolve);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    } finally {
      running--;
    }
  };
  const model = defineModel({
    id: 'test:gated',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: false },
    async run(_input, { signal }) {
      await enter(signal);
      return { text: 'done', finishReason: 'stop', usage };
    },
    async *stream(_input, { signal }) {
      yield { type: 'text-delta', text: 'part' };
      await enter(signal);
      yield { type: 'finish', finishReason: 'stop', usage };
    },
  });
  return {
    model,
    started: () => started,
    mostRunning: () => mostRunning,
    /** Let the oldest waiting call finish. */
    open: () => pending.shift()?.(),
  };
}

/** Let queued promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('limit', () => {
  it('runs at most `concurrency` calls at once and starts the next when one ends', async () => {
    const gated = gatedModel();
    const model = limit(gated.model, { concurrency: 2 });
    const calls = [model.run(prompt), model.run(prompt), model.run(prompt)];
    await settle();
    expect(gated.started()).toBe(2);
    gated.open();
    await settle();
    expect(gated.started()).toBe(3);
    gated.open();
    gated.open();
    await Promise.all(calls);
    expect(gated.mostRunning()).toBe(2);
  });

  it('sends a queued event with the place in the queue and the limit that holds the call', async () => {
    const gated = gatedModel();
    const model = limit(gated.model, { concurrency: 1 });
    const events: ModelEvent[] = [];
    const onEvent = (event: ModelEvent) => events.push(event);
    const calls = [
      model.run(prompt, { onEvent }),
      model.run(prompt, { onEvent }),
      model.run(prompt, { onEvent }),
    ];
    await settle();
    expect(events.filter((event) => event.type === 'queued')).toEqual([
      { type: 'queued', modelId: 'limit:test:gated', position: 0, reason: 'concurrency' },
      { type: 'queued', modelId: 'limit:test:gated', position: 1, reason: 'concurrency' },
    ]);
    for (let i = 0; i < 3; i++) {
      gated.open();
      await settle();
    }
    await Promise.all(calls);
  });

  it('rejects a queued call at once with AbortError when its caller aborts, without calling the model', async () => {
    const gated = gatedModel();
    const model = limit(gated.model, { concurrency: 1 });
    const running = model.run(prompt);
    const controller = new AbortController();
    const queued = model.run(prompt, { signal: controller.signal });
    await settle();
    controller.abort();
    await expect(queued).rejects.toBeInstanceOf(AbortError);
    expect(gated.started()).toBe(1);
    gated.open();
    await running;
  });

  it('frees the aborted call’s place: the call behind it starts next', async () => {
    const gated = gatedModel();
    const model = limit(gated.model, { concurrency: 1 });
    const running = model.run(prompt);
    const controller = new AbortController();
    const aborted = model.run(prompt, { signal: controller.signal }).catch((e: unknown) => e);
    const behind = model.run(prompt);
    await settle();
    controller.abort();
    expect(await aborted).toBeInstanceOf(AbortError);
    gated.open();
    await running;
    await settle();
    expect(gated.started()).toBe(2);
    gated.open();
    expect((await behind).text).toBe('done');
  });

  it('counts time in the queue against timeoutMs', async () => {
    const gated = gatedModel();
    const model = limit(gated.model, { concurrency: 1 });
    const running = model.run(prompt);
    const error = await model.run(prompt, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(gated.started()).toBe(1);
    gated.open();
    await running;
  });

  it('frees the place of a call that failed', async () => {
    let calls = 0;
    const flaky = defineModel<TextGenerationTask>({
      id: 'test:flaky',
      task: textGeneration,
      capabilities: { streaming: false, batching: false, local: false },
      async run() {
        calls++;
        if (calls === 1) throw new ServerError('503');
        return { text: 'ok', finishReason: 'stop', usage: {} };
      },
    });
    const model = limit(flaky, { concurrency: 1 });
    await expect(model.run(prompt)).rejects.toBeInstanceOf(ServerError);
    expect((await model.run(prompt)).text).toBe('ok');
  });

  it('holds a stream’s place until the stream ends', async () => {
    const gated = gatedModel();
    const model = limit(gated.model, { concurrency: 1 });
    const streaming = collect(model.stream(prompt));
    const after = model.run(prompt);
    await settle();
    expect(gated.started()).toBe(1);
    gated.open();
    await streaming;
    await settle();
    expect(gated.started()).toBe(2);
    gated.open();
    await after;
  });

  it('starts no more than requestsPerMinute calls in any 60 s', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const gated = gatedModel();
    const model = limit(gated.model, { requestsPerMinute: 2 });
    const events: ModelEvent[] = [];
    const calls = [0, 1, 2].map(() => model.run(prompt, { onEvent: (event) => events.push(event) }));
    await settle();
    expect(gated.started()).toBe(2);
    expect(events.find((event) => event.type === 'queued')).toMatchObject({ reason: 'requests-per-minute' });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(gated.started()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(gated.started()).toBe(3);
    for (let i = 0; i < 3; i++) gated.open();
    await Promise.all(calls);
  });

  it('waits once the last minute’s calls used tokensPerMinute tokens', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const gated = gatedModel(30);
    const model = limit(gated.model, { tokensPerMinute: 50 });
    const events: ModelEvent[] = [];
    const onEvent = (event: ModelEvent) => events.push(event);
    for (let i = 0; i < 2; i++) {
      const call = model.run(prompt);
      await settle();
      gated.open();
      await call;
    }
    // 60 tokens in this minute: the third call waits for the first call's tokens to leave the window.
    const third = model.run(prompt, { onEvent });
    await settle();
    expect(gated.started()).toBe(2);
    expect(events.find((event) => event.type === 'queued')).toMatchObject({ reason: 'tokens-per-minute' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(gated.started()).toBe(3);
    gated.open();
    await third;
  });

  it('refuses a concurrency that is not a positive integer, naming the option', () => {
    const error = (() => {
      try {
        limit(gatedModel().model, { concurrency: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/concurrency must be a positive integer \(got 0\)/);
  });
});
