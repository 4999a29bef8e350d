// `loadModel(source, { worker: true })` runs the onnxruntime session in a worker thread: every task
// answers as it does in-process, abort and dispose work, and the main event loop keeps turning
// while the worker runs. Responsiveness is measured in ticks of a setImmediate ticker, never in time.
import { AbortError, ModelLoadError } from '@mlkit/core';
import * as ortNode from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type LoadOptions, loadModel } from '../src/index.node.ts';
import type { Ort, OrtTensor } from '../src/ort.ts';
import { openWorkerSession } from '../src/worker/worker-session.ts';
import { fixture, maxAbsDiff } from './support.ts';

const models: { dispose(): Promise<void> }[] = [];
async function both<T extends { dispose(): Promise<void> }>(load: (options: LoadOptions) => Promise<T>) {
  const local = await load({});
  const worker = await load({ worker: true });
  models.push(local, worker);
  return { local, worker };
}
afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

/** setImmediate turns of the main event loop while `work` runs. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    await work();
  } finally {
    running = false;
  }
  return ticks;
}

const irisRows = (n: number) =>
  Float32Array.from({ length: n * 4 }, (_, i) => [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3][i % 8]!);

describe('sessions in a worker thread', () => {
  it('gives the same tensor outputs for iris as in-process', async () => {
    const { local, worker } = await both((o) =>
      loadModel(fixture('iris-classifier'), { ...o, task: 'tensor' }),
    );
    const input = {
      inputs: { float_input: { dtype: 'float32' as const, shape: [2, 4], data: irisRows(2) } },
    };
    const a = await local.run(input);
    const b = await worker.run(input);
    expect(Object.keys(b.outputs).sort()).toEqual(Object.keys(a.outputs).sort());
    for (const name in a.outputs) {
      expect(b.outputs[name]!.shape).toEqual(a.outputs[name]!.shape);
      expect(Array.from(b.outputs[name]!.data as ArrayLike<number>)).toEqual(
        Array.from(a.outputs[name]!.data as ArrayLike<number>),
      );
    }
  });

  it('leaves the caller its input tensor (feeds are copied, not transferred)', async () => {
    const model = await loadModel(fixture('iris-classifier'), { task: 'tensor', worker: true });
    models.push(model);
    const data = irisRows(1);
    await model.run({ inputs: { float_input: { dtype: 'float32', shape: [1, 4], data } } });
    expect(data.length).toBe(4);
    expect(data[0]).toBeCloseTo(5.1);
  });

  it('moves the feeds runMoving names to the worker (a decode step past) and copies the others, with the same outputs', async () => {
    const ort = ortNode as unknown as Ort;
    const session = await openWorkerSession(ort, fixture('tiny-gpt', 'onnx', 'model.onnx'), {});
    try {
      const pastNames = session.inputNames.filter((name) => name.startsWith('past_key_values'));
      const int64 = (values: number[]) =>
        new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
      const prefill: Record<string, OrtTensor> = {
        input_ids: int64([5, 6, 7]),
        attention_mask: int64([1, 1, 1]),
        position_ids: int64([0, 1, 2]),
      };
      for (const name of pastNames)
        prefill[name] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
      const first = await session.run(prefill);
      /** The next step's feeds, its past copied out of the prefill's presents. */
      const step = (): Record<string, OrtTensor> => {
        const feeds: Record<string, OrtTensor> = {
          input_ids: int64([8]),
          attention_mask: int64([1, 1, 1, 1]),
          position_ids: int64([3]),
        };
        for (const name of pastNames) {
          const present = first[name.replace('past_key_values', 'present')]!;
          feeds[name] = new ort.Tensor(
            'float32',
            Float32Array.from(present.data as Float32Array),
            present.dims,
          );
        }
        return feeds;
      };
      const copied = step();
      const expected = await session.run(copied);
      const moving = step();
      const got = await session.runMoving!(moving, undefined, pastNames);
      expect(maxAbsDiff(got.logits!.data as Float32Array, expected.logits!.data as Float32Array)).toBe(0);
      expect(got.logits!.dims).toEqual(expected.logits!.dims);
      for (const name of pastNames) {
        expect(copied[name]!.data.length).toBeGreaterThan(0); // run() copies
        expect((moving[name]!.data as Float32Array).buffer.byteLength).toBe(0); // runMoving transferred it
      }
      expect(moving.input_ids!.data.length).toBe(1); // not named: copied
    } finally {
      await session.release();
    }
  });

  it('gives the same classification for iris as in-process', async () => {
    const { local, worker } = await both((o) =>
      loadModel(fixture('iris-classifier'), { ...o, task: 'classification' }),
    );
    const input = {
      rows: [
        [5.1, 3.5, 1.4, 0.2],
        [6.7, 3.0, 5.2, 2.3],
      ],
    };
    const a = await local.run(input);
    const b = await worker.run(input);
    expect(b.predictions).toEqual(a.predictions);
  });

  it('gives the same tiny-bert embeddings as in-process', async () => {
    const { local, worker } = await both((o) => loadModel(fixture('tiny-bert'), { ...o, task: 'embedding' }));
    const input = { texts: ['hello world', 'a much longer text about cats and dogs'] };
    const a = await local.run(input);
    const b = await worker.run(input);
    expect(b.embeddings).toHaveLength(a.embeddings.length);
    for (const [i, row] of a.embeddings.entries()) expect(maxAbsDiff(b.embeddings[i]!, row)).toBe(0);
  });

  it('generates the same greedy tiny-gpt text with the KV cache as in-process', async () => {
    const { local, worker } = await both((o) =>
      loadModel(fixture('tiny-gpt'), { ...o, task: 'text-generation' }),
    );
    const input = { prompt: 'the cat sat on the', maxTokens: 40, temperature: 0 };
    const a = await local.run(input);
    const b = await worker.run(input);
    expect(b.text).toBe(a.text);
    expect(b.usage.outputTokens).toBe(a.usage.outputTokens);
  });

  it('rejects a generation at once with AbortError when its signal aborts mid-way', async () => {
    const model = await loadModel(fixture('tiny-gpt'), { task: 'text-generation', worker: true });
    models.push(model);
    const controller = new AbortController();
    let chunks = 0;
    const reading = (async () => {
      for await (const _ of model.stream(
        { prompt: 'the cat', maxTokens: 200, temperature: 0 },
        { signal: controller.signal },
      )) {
        if (++chunks === 2) controller.abort();
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(AbortError);
    expect(chunks).toBe(2);
    // The session still serves the next call.
    const after = await model.run({ prompt: 'the cat', maxTokens: 3, temperature: 0 });
    expect(after.usage.outputTokens).toBeGreaterThan(0);
  });

  it('refuses calls after dispose, which ends the worker', async () => {
    const model = await loadModel(fixture('iris-classifier'), { task: 'classification', worker: true });
    await model.dispose();
    await expect(model.run({ rows: [[5.1, 3.5, 1.4, 0.2]] })).rejects.toThrow();
  });

  it('reports a file that is not an ONNX model as ModelLoadError from the worker', async () => {
    const error = await loadModel(new TextEncoder().encode('not a model'), {
      task: 'tensor',
      worker: true,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(String((error as Error).message)).toMatch(/not a valid ONNX model|could not be loaded/);
  });

  it('keeps the event loop turning during a long run, where in-process blocks it', async () => {
    const { local, worker } = await both((o) =>
      loadModel(fixture('iris-classifier'), { ...o, task: 'tensor' }),
    );
    const rows = 400_000;
    const input = {
      inputs: { float_input: { dtype: 'float32' as const, shape: [rows, 4], data: irisRows(rows) } },
    };
    await local.run(input); // warm both
    await worker.run(input);
    const inProcess = await ticksDuring(() => local.run(input));
    const inWorker = await ticksDuring(() => worker.run(input));
    expect(inProcess).toBeLessThanOrEqual(3);
    expect(inWorker).toBeGreaterThan(50);
  });
});
