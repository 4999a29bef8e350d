import { describe, expect, it } from 'vitest';
import { defineModel, textGeneration } from '../../src/index.ts';
import { echoModel } from '../support/echo-model.ts';

describe('defineModel', () => {
  it('fails a call that outlives timeoutMs with TimeoutError(total)', async () => {
    const { model } = echoModel({ delayMs: 1_000 });
    const started = Date.now();
    const error: any = await model.run({ prompt: 'slow' }, { timeoutMs: 20 }).catch((e) => e);
    expect(error.code).toBe('timeout');
    expect(error.kind).toBe('total');
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('treats a timeoutMs beyond what setTimeout can wait (2^31 ms) as no limit, not as an instant timeout', async () => {
    const { model } = echoModel({ delayMs: 30 });
    for (const timeoutMs of [2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const output = await model.run({ prompt: 'slow but fine' }, { timeoutMs });
      expect(output.text).toBe('slow but fine');
      const controller = new AbortController();
      expect((await model.run({ prompt: 'also fine' }, { timeoutMs, signal: controller.signal })).text).toBe(
        'also fine',
      );
    }
  });

  it('turns an abort during the call into AbortError carrying the reason as cause', async () => {
    const { model } = echoModel({ delayMs: 1_000 });
    const controller = new AbortController();
    const pending = model.run({ prompt: 'x' }, { signal: controller.signal });
    controller.abort(new Error('user left'));
    const error: any = await pending.catch((e) => e);
    expect(error.code).toBe('abort');
    expect(error.cause.message).toBe('user left');
  });

  it('emits a result event to the model listener and the call listener', async () => {
    const seen: string[] = [];
    const model = defineModel({
      id: 'test:events',
      task: textGeneration,
      capabilities: { streaming: false, batching: false, local: true },
      onEvent: (e) => seen.push(`model:${e.type}`),
      run: async () => ({ text: '', finishReason: 'stop', usage: {} }),
    });
    await model.run({ prompt: 'x' }, { onEvent: (e) => seen.push(`call:${e.type}`) });
    expect(seen).toEqual(['model:result', 'call:result']);
  });

  it('keeps a mid-stream failure visible: the iterator throws it', async () => {
    const model = defineModel({
      id: 'test:broken-stream',
      task: textGeneration,
      capabilities: { streaming: true, batching: false, local: true },
      run: async () => ({ text: '', finishReason: 'stop', usage: {} }),
      async *stream() {
        yield { type: 'text-delta' as const, text: 'a' };
        throw new Error('backend died');
      },
    });
    const seen: unknown[] = [];
    const error: any = await (async () => {
      for await (const chunk of model.stream({ prompt: 'x' })) seen.push(chunk);
    })().catch((e) => e);
    expect(seen).toHaveLength(1);
    expect(error.message).toBe('backend died');
  });
});
