import { describe, expect, it } from 'vitest';
import { deferModel } from '../../src/defer-model.ts';
import { defineModel } from '../../src/define-model.ts';
import { UnsupportedError } from '../../src/errors.ts';
import { type EmbeddingTask, embedding } from '../../src/tasks/embedding.ts';
import { type TextGenerationTask, textGeneration } from '../../src/tasks/text-generation.ts';

const capabilities = { streaming: false, batching: false, local: false };

function embedder() {
  const counts = { loads: 0, runs: 0, disposes: 0 };
  const load = async () => {
    counts.loads++;
    return defineModel({
      id: 'x:e',
      task: embedding,
      capabilities,
      run: async (input) => {
        counts.runs++;
        const n = 'texts' in input ? input.texts.length : input.tokens.length;
        return {
          embeddings: Array.from({ length: n }, () => new Float32Array([1, 0])),
          dimensions: 2,
          usage: {},
        };
      },
      dispose: () => {
        counts.disposes++;
      },
    });
  };
  return {
    counts,
    model: deferModel<EmbeddingTask>({ id: 'x:e', task: 'embedding', capabilities, streams: false }, load),
  };
}

describe('deferModel', () => {
  it('says what it is before loading, loads once for concurrent first calls, then runs the real model', async () => {
    const { counts, model } = embedder();
    expect([model.id, model.task, model.capabilities]).toEqual(['x:e', 'embedding', capabilities]);
    expect(counts.loads).toBe(0);
    const [a, b] = await Promise.all([model.run({ texts: ['a'] }), model.run({ texts: ['b', 'c'] })]);
    expect(counts).toEqual({ loads: 1, runs: 2, disposes: 0 });
    expect([a.embeddings.length, b.embeddings.length]).toEqual([1, 2]);
  });

  it("checks input as the real model does: an invalid input is the real model's InvalidInputError, no run", async () => {
    const { counts, model } = embedder();
    await expect(model.run({ texts: 'not a list' } as never)).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(counts.runs).toBe(0);
  });

  it('refuses stream() at once for a model that does not stream, as defineModel does', () => {
    const { counts, model } = embedder();
    expect(() => model.stream({ texts: ['a'] })).toThrow(UnsupportedError);
    expect(counts.loads).toBe(0);
  });

  it('streams through the loaded model', async () => {
    const load = async () =>
      defineModel({
        id: 'x:g',
        task: textGeneration,
        capabilities: { ...capabilities, streaming: true },
        run: async () => ({ text: 'hi', finishReason: 'stop', usage: {} }),
        async *stream() {
          yield { type: 'text-delta', text: 'h' };
          yield { type: 'text-delta', text: 'i' };
          yield { type: 'finish', finishReason: 'stop', usage: {} };
        },
      });
    const model = deferModel<TextGenerationTask>(
      { id: 'x:g', task: 'text-generation', capabilities, streams: true },
      load,
    );
    const chunks = [];
    for await (const chunk of model.stream({ prompt: 'x' })) chunks.push(chunk.type);
    expect(chunks).toEqual(['text-delta', 'text-delta', 'finish']);
  });

  it('dispose before any call loads nothing and refuses later calls; after a call it disposes the real model once', async () => {
    const first = embedder();
    await first.model.dispose();
    await expect(first.model.run({ texts: ['a'] })).rejects.toThrow(/was disposed/);
    expect(first.counts.loads).toBe(0);

    const second = embedder();
    await second.model.run({ texts: ['a'] });
    await Promise.all([second.model.dispose(), second.model.dispose()]);
    expect(second.counts.disposes).toBe(1);
    await expect(second.model.run({ texts: ['a'] })).rejects.toThrow(/was disposed/);
  });

  it("a failed load is the call's error, and the next call tries to load again", async () => {
    let loads = 0;
    const model = deferModel<EmbeddingTask>(
      { id: 'x:f', task: 'embedding', capabilities, streams: false },
      () => {
        loads++;
        return Promise.reject(new TypeError('Failed to fetch dynamically imported module'));
      },
    );
    await expect(model.run({ texts: ['a'] })).rejects.toThrow(/dynamically imported/);
    await expect(model.run({ texts: ['a'] })).rejects.toThrow(/dynamically imported/);
    expect(loads).toBe(2);
  });
});
