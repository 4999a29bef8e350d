import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TensorInput, TensorTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSklearnIrisModel, trainIris } from '../../../test/fixtures/generate/iris.ts';
import { irisForward } from '../../../test/fixtures/reference/iris.ts';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { fixture, maxAbsDiff } from './support.ts';

const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];

describe('tensor task on the iris classifier', () => {
  let model: OnnxModel<TensorTask>;
  beforeAll(async () => {
    model = await loadModel(fixture('iris-classifier'), { task: 'tensor' });
  });
  afterAll(() => model.dispose());

  it('returns every output as an mlkit tensor, int64 as BigInt64Array, equal to the reference', async () => {
    const { outputs } = await model.run({
      inputs: { float_input: { dtype: 'float32', shape: [3, 4], data: Float32Array.from(rows.flat()) } },
    });
    const reference = irisForward(trainIris(), rows);
    expect(outputs.output_label).toMatchObject({ dtype: 'int64', shape: [3] });
    expect(outputs.output_label!.data).toBeInstanceOf(BigInt64Array);
    expect([...(outputs.output_label!.data as BigInt64Array)].map(Number)).toEqual(reference.labels);
    expect(outputs.output_probability).toMatchObject({ dtype: 'float32', shape: [3, 3] });
    expect(
      maxAbsDiff(outputs.output_probability!.data as Float32Array, reference.probabilities.flat()),
    ).toBeLessThan(1e-4);
  });

  it('returns only the outputs asked for', async () => {
    const { outputs } = await model.run({
      inputs: { float_input: { dtype: 'float32', shape: [1, 4], data: Float32Array.from(rows[0]!) } },
      outputs: ['output_label'],
    });
    expect(Object.keys(outputs)).toEqual(['output_label']);
  });

  it('rejects a wrong dtype with InvalidInputError naming the input, before running', async () => {
    const before = model.describe().runs;
    const error = await model
      .run({
        inputs: { float_input: { dtype: 'float64', shape: [1, 4], data: Float64Array.from(rows[0]!) } },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(/input\.inputs\.float_input: expected float32, got float64/);
    expect(model.describe().runs).toBe(before);
  });

  it('rejects a fixed dimension that does not match', async () => {
    const error = await model
      .run({ inputs: { float_input: { dtype: 'float32', shape: [1, 3], data: new Float32Array(3) } } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(/float_input: dimension 1 must be 4, got 3/);
  });

  it('rejects a wrong rank, an unknown input, a missing input and an unknown output', async () => {
    const wrongRank = await model
      .run({ inputs: { float_input: { dtype: 'float32', shape: [4], data: new Float32Array(4) } } })
      .catch((e: unknown) => e);
    expect((wrongRank as Error).message).toMatch(/expected 2 dimensions/);
    const unknown = await model
      .run({ inputs: { features: { dtype: 'float32', shape: [1, 4], data: new Float32Array(4) } } })
      .catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/no input "features"; its inputs: float_input float32/);
    expect((unknown as Error).message).toMatch(/float_input: missing/);
    const output = await model
      .run({
        inputs: { float_input: { dtype: 'float32', shape: [1, 4], data: new Float32Array(4) } },
        outputs: ['probabilities'],
      })
      .catch((e: unknown) => e);
    expect(output).toMatchObject({ code: 'invalid_input' });
    expect((output as Error).message).toMatch(
      /no output "probabilities"; its outputs: output_label, output_probability/,
    );
  });

  it('reports usage with the device', async () => {
    const { usage } = await model.run({
      inputs: { float_input: { dtype: 'float32', shape: [1, 4], data: Float32Array.from(rows[0]!) } },
    });
    expect(usage.device).toBe('cpu');
    expect(usage.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe('tensor task on a scikit-learn export with a ZipMap output (seq(map(int64, float)))', () => {
  let model: OnnxModel<TensorTask>;
  const feeds: TensorInput['inputs'] = {
    float_input: { dtype: 'float32', shape: [3, 4], data: Float32Array.from(rows.flat()) },
  };
  beforeAll(async () => {
    const bytes = buildSklearnIrisModel(trainIris(), { classLabels: [0, 1, 2], zipmap: true });
    model = await loadModel(bytes, { task: 'tensor' });
  });
  afterAll(() => model.dispose());

  it('leaves the non-tensor output out of a run and returns the tensor outputs', async () => {
    const { outputs } = await model.run({ inputs: feeds });
    expect(Object.keys(outputs)).toEqual(['output_label']);
    const reference = irisForward(trainIris(), rows);
    expect([...(outputs.output_label!.data as BigInt64Array)].map(Number)).toEqual(reference.labels);
  });

  it('rejects asking for the ZipMap output by name with an error naming the outputs that can be requested', async () => {
    const error = await model
      .run({ inputs: feeds, outputs: ['output_label', 'output_probability'] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(
      /"output_probability" is not a tensor .*outputs that can be requested: output_label$/,
    );
  });
});

describe('tensor task on a real pretrained model: silero VAD v5 from @ricky0123/vad-web', () => {
  const require = createRequire(import.meta.url);
  const vadDir = dirname(require.resolve('@ricky0123/vad-web/package.json'));
  let model: OnnxModel<TensorTask>;
  beforeAll(async () => {
    model = await loadModel(join(vadDir, 'dist', 'silero_vad_v5.onnx'), { task: 'tensor' });
  });
  afterAll(() => model.dispose());

  it('declares the inputs silero v5 takes: audio [batch, 512], state [2, batch, 128], sr int64', () => {
    const { inputs, outputs } = model.describe();
    expect(inputs.map((i) => [i.name, i.type])).toEqual([
      ['input', 'float32'],
      ['state', 'float32'],
      ['sr', 'int64'],
    ]);
    expect(inputs[1]!.shape).toEqual([2, '', 128]);
    expect(outputs.map((o) => o.name)).toEqual(['output', 'stateN']);
  });

  async function speechProbability(frames: Float32Array[]): Promise<number> {
    let state: Float32Array<ArrayBufferLike> = new Float32Array(2 * 128);
    let probability = 0;
    for (const frame of frames) {
      const { outputs } = await model.run({
        inputs: {
          input: { dtype: 'float32', shape: [1, 512], data: frame },
          state: { dtype: 'float32', shape: [2, 1, 128], data: state },
          sr: { dtype: 'int64', shape: [], data: BigInt64Array.of(16000n) },
        },
      });
      expect(outputs.output!.shape).toEqual([1, 1]);
      expect(outputs.stateN!.shape).toEqual([2, 1, 128]);
      probability = (outputs.output!.data as Float32Array)[0]!;
      state = outputs.stateN!.data as Float32Array;
    }
    return probability;
  }

  // 16 kHz frames of 512 samples (32 ms): silence, and a loud 440 Hz tone with harmonics and noise.
  const frames = (make: (t: number) => number) =>
    Array.from({ length: 16 }, (_, f) =>
      Float32Array.from({ length: 512 }, (_, i) => make((f * 512 + i) / 16000)),
    );

  it('gives a probability in [0, 1] that differs between silence and a loud voiced tone', async () => {
    let seed = 1;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 0.05;
    };
    const silence = await speechProbability(frames(() => 0));
    const tone = await speechProbability(
      frames(
        (t) =>
          0.5 * Math.sin(2 * Math.PI * 220 * t) +
          0.3 * Math.sin(2 * Math.PI * 440 * t) +
          0.1 * Math.sin(2 * Math.PI * 880 * t) +
          noise(),
      ),
    );
    for (const p of [silence, tone]) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
    expect(silence).toBeLessThan(0.1);
    // Seen: ~0.003 for silence, ~0.99 for the tone.
    expect(tone - silence).toBeGreaterThan(0.5);
  });

  it('rejects audio in the wrong dtype naming the input', async () => {
    const error = await model
      .run({
        inputs: {
          input: { dtype: 'float64', shape: [1, 512], data: new Float64Array(512) },
          state: { dtype: 'float32', shape: [2, 1, 128], data: new Float32Array(256) },
          sr: { dtype: 'int64', shape: [], data: BigInt64Array.of(16000n) },
        },
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/input\.inputs\.input: expected float32, got float64/);
  });
});
