import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/abort.ts';
import {
  AbortError,
  InvalidInputError,
  isMlkitError,
  type Model,
  route,
  type TextGenerationTask,
  TimeoutError,
} from '../../src/index.ts';
import { echoModel, histogramEmbedder } from '../support/echo-model.ts';
import { collect, fixedModel, textOf } from './models.ts';

/** Short prompts to the local echo model, the rest to a "hosted" one. */
function byLength() {
  const local = echoModel();
  const hosted = fixedModel('test:hosted', 'hosted answer', { capabilities: { local: false } });
  const seen: unknown[] = [];
  const model = route({
    models: { local: local.model, hosted: hosted.model },
    select: (input) => {
      seen.push(input);
      return 'prompt' in input && input.prompt.length < 20 ? 'local' : 'hosted';
    },
  });
  return { model, local, hosted, seen };
}

describe('route', () => {
  it('sends each call to the model that select names', async () => {
    const { model, local, hosted } = byLength();
    expect((await model.run({ prompt: 'short one' })).text).toBe('short one');
    expect((await model.run({ prompt: 'a much longer prompt than twenty characters' })).text).toBe(
      'hosted answer',
    );
    expect(local.calls()).toBe(1);
    expect(hosted.calls()).toBe(1);
  });

  it('streams from the chosen model', async () => {
    const { model, hosted } = byLength();
    const chunks = await collect(model.stream({ prompt: 'one two' }));
    expect(textOf(chunks)).toBe('one two');
    expect(chunks.at(-1)?.type).toBe('finish');
    expect(hosted.calls()).toBe(0);
  });

  it('gives select the validated input and never calls it for invalid input', async () => {
    const { model, local, hosted, seen } = byLength();
    await model.run({ messages: [{ role: 'user', content: 'hi' }] });
    expect(seen).toEqual([{ messages: [{ role: 'user', content: 'hi' }] }]);
    const error = await model
      .run({ messages: [{ role: 'bot', content: 'x' }] } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(seen).toHaveLength(1);
    expect(local.calls() + hosted.calls()).toBe(1);
  });

  it('rejects a name that is not in models with InvalidInputError before any model is called', async () => {
    const echo = echoModel();
    const model = route({ models: { echo: echo.model }, select: () => 'missing' as 'echo' });
    const error = await model.run({ prompt: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe('route: select returned "missing", which is not one of "echo"');
    const streamed = await collect(model.stream({ prompt: 'x' })).catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(InvalidInputError);
    expect(echo.calls()).toBe(0);
  });

  it('does not resolve inherited names such as "toString"', async () => {
    const echo = echoModel();
    const model = route({ models: { echo: echo.model }, select: () => 'toString' as 'echo' });
    await expect(model.run({ prompt: 'x' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('awaits an async select and passes it the call signal', async () => {
    const echo = echoModel();
    const signals: AbortSignal[] = [];
    const model = route({
      models: { echo: echo.model },
      select: async (_input, { signal }) => {
        signals.push(signal);
        await sleep(1, signal);
        return 'echo' as const;
      },
    });
    const controller = new AbortController();
    expect((await model.run({ prompt: 'a b' }, { signal: controller.signal })).text).toBe('a b');
    expect(signals).toHaveLength(1);
    controller.abort();
    expect(signals[0]!.aborted).toBe(true);
  });

  it('stops with AbortError when the caller aborts while select is deciding', async () => {
    const echo = echoModel();
    const model = route({
      models: { echo: echo.model },
      select: async (_input, { signal }) => {
        await sleep(60_000, signal);
        return 'echo' as const;
      },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const error = await model.run({ prompt: 'x' }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(echo.calls()).toBe(0);
  });

  it('applies timeoutMs to select and the chosen model together', async () => {
    // select and the model each fit in 120 ms; together they do not.
    const slow = fixedModel('test:slow', 'too late', { delayMs: 80 });
    const model = route({
      models: { slow: slow.model },
      select: async (_input, { signal }) => {
        await sleep(80, signal);
        return 'slow' as const;
      },
    });
    const error = await model.run({ prompt: 'x' }, { timeoutMs: 120 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).kind).toBe('total');
    expect(slow.signals[0]!.aborted).toBe(true);
  });

  describe('construction', () => {
    it('refuses models of different tasks, naming the one that differs', () => {
      const echo = echoModel();
      const embedder = histogramEmbedder();
      expect(() =>
        route({
          models: { chat: echo.model, vectors: embedder.model as unknown as Model<TextGenerationTask> },
          select: () => 'chat',
        }),
      ).toThrow(/models\.vectors \(test:histogram\) does "embedding"/);
    });

    it('refuses no models and a missing select with InvalidInputError', () => {
      expect(() => route({ models: {}, select: () => 'x' as never })).toThrow(InvalidInputError);
      expect(() => route({ models: { echo: echoModel().model }, select: undefined as never })).toThrow(
        /select/,
      );
    });

    it('is local and streams only when every model is local and streams', () => {
      const { model } = byLength();
      expect(model.capabilities).toMatchObject({ streaming: true, local: false });
      const both = route({ models: { a: echoModel().model, b: echoModel().model }, select: () => 'a' });
      expect(both.capabilities).toMatchObject({ streaming: true, local: true, device: 'cpu' });
      expect(both.id).toBe('route:a,b');
    });

    it('dispose() disposes the composite only: its models stay usable', async () => {
      const echo = echoModel();
      const model = route({ models: { echo: echo.model }, select: () => 'echo' });
      await model.dispose();
      const error = await model.run({ prompt: 'x' }).catch((e: unknown) => e);
      expect(isMlkitError(error) && error.code).toBe('unsupported');
      expect((await echo.model.run({ prompt: 'x' })).text).toBe('x');
    });
  });
});
