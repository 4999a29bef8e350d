// A decoder export without logits_to_keep gets one in memory (logits-to-keep.ts), so a prefill computes
// the lm_head for the last position only: its logits equal the original graph's, generation is unchanged,
// and every graph it cannot rewrite safely is left as it was.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TextGenerationTask } from '@mlkit/core';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/fixtures/paths.ts';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { addLogitsToKeep } from '../src/logits-to-keep.ts';
import { createSession } from '../src/session.ts';
import { recordSessions } from './ort-spy.ts';
import { fixture, maxAbsDiff } from './support.ts';

const { onnx } = onnxProto;
type Generator = OnnxModel<TextGenerationTask>;

const decoderFile = () => new Uint8Array(readFileSync(fixture('tiny-gpt', 'onnx', 'model.onnx')));
const decoder = { kvCacheRequired: true };

/** The declared shape of one input or output. */
function shapeOf(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string): readonly unknown[] {
  const meta = metadata.find((m) => m.name === name);
  return meta?.isTensor ? meta.shape : [];
}

/** The first-step feeds of tiny-gpt for `ids`: empty past, positions 0.. */
function prefillFeeds(session: ort.InferenceSession, ids: number[]): Record<string, ort.Tensor> {
  const n = ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, (_, i) => BigInt(i)),
      [1, n],
    ),
  };
  for (const name of session.inputNames) {
    if (!name.startsWith('past_key_values.')) continue;
    const [, heads, , headDim] = shapeOf(session.inputMetadata, name) as [unknown, number, unknown, number];
    feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
  }
  return feeds;
}

/**
 * For each [logits_to_keep, rows]: the rewritten graph returns `rows` rows, equal (within 1e-5) to the last
 * rows of the original graph's full logits. Returns those full logits.
 */
async function expectKeptRows(
  original: ort.InferenceSession,
  rewritten: ort.InferenceSession,
  ids: number[],
  cases: readonly (readonly [bigint, number])[],
): Promise<ort.Tensor> {
  const full = (await original.run(prefillFeeds(original, ids))).logits!;
  const vocab = full.dims[2]!;
  for (const [keep, rows] of cases) {
    const kept = (
      await rewritten.run({
        ...prefillFeeds(rewritten, ids),
        logits_to_keep: new ort.Tensor('int64', new BigInt64Array([keep]), []),
      })
    ).logits!;
    expect(kept.dims).toEqual([1, rows, vocab]);
    const tail = (full.data as Float32Array).subarray((ids.length - rows) * vocab);
    expect(maxAbsDiff(kept.data as Float32Array, tail)).toBeLessThan(1e-5);
  }
  return full;
}

/** A copy of tiny-gpt's graph changed by `edit` (onnx-proto), to see which graphs are left alone. */
function editedDecoder(edit: (model: InstanceType<typeof onnx.ModelProto>) => void): Uint8Array {
  const model = onnx.ModelProto.decode(decoderFile());
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

/** The node that writes `output` in the edited graph. */
function producer(model: InstanceType<typeof onnx.ModelProto>, output: string) {
  return model.graph!.node!.find((node) => node.output!.includes(output))!;
}

describe('the graph with logits_to_keep added', () => {
  let original: ort.InferenceSession;
  let rewritten: ort.InferenceSession;
  const ids = [5, 17, 42, 8, 99, 3, 250];

  beforeAll(async () => {
    const bytes = decoderFile();
    const added = addLogitsToKeep(bytes, decoder);
    expect(added).toBeInstanceOf(Uint8Array);
    original = await ort.InferenceSession.create(bytes);
    rewritten = await ort.InferenceSession.create(added!);
  });
  afterAll(async () => {
    await original.release();
    await rewritten.release();
  });

  it('takes an int64 scalar logits_to_keep and declares logits [batch, kept positions, vocab]', () => {
    expect(rewritten.inputNames).toEqual([...original.inputNames, 'logits_to_keep']);
    const input = rewritten.inputMetadata.find((m) => m.name === 'logits_to_keep');
    expect(input).toMatchObject({ isTensor: true, type: 'int64', shape: [] });
    const before = shapeOf(original.outputMetadata, 'logits');
    expect(before).toHaveLength(3);
    expect(shapeOf(rewritten.outputMetadata, 'logits')).toEqual([before[0], 'kept_positions', before[2]]);
    expect(rewritten.outputNames).toEqual(original.outputNames);
  });

  it('with logits_to_keep 1 returns the last row of the full logits, within 1e-5', async () => {
    await expectKeptRows(original, rewritten, ids, [[1n, 1]]);
  });

  it('with logits_to_keep 0 returns every row, and with 3 the last three', async () => {
    await expectKeptRows(original, rewritten, ids, [
      [0n, ids.length],
      [3n, 3],
    ]);
  });

  it('returns the same KV cache (presents) as the original graph', async () => {
    const before = await original.run(prefillFeeds(original, ids));
    const after = await rewritten.run({
      ...prefillFeeds(rewritten, ids),
      logits_to_keep: new ort.Tensor('int64', new BigInt64Array([1n]), []),
    });
    const present = original.outputNames.find((name) => name.startsWith('present.'))!;
    expect(after[present]!.dims).toEqual(before[present]!.dims);
    expect(maxAbsDiff(after[present]!.data as Float32Array, before[present]!.data as Float32Array)).toBe(0);
  });
});

describe('graphs left alone', () => {
  it('leaves a graph that has logits_to_keep already', () => {
    const bytes = editedDecoder((model) => {
      model.graph!.input!.push(
        onnx.ValueInfoProto.create({
          name: 'logits_to_keep',
          type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: {} } },
        }),
      );
    });
    expect(addLogitsToKeep(bytes, decoder)).toBeUndefined();
  });

  it('leaves logits that come from an If (a merged decoder)', () => {
    const bytes = editedDecoder((model) => {
      producer(model, 'logits').opType = 'If';
    });
    expect(addLogitsToKeep(bytes, decoder)).toBeUndefined();
  });

  it('leaves a model of opset 9, whose Slice takes no starts input', () => {
    const bytes = editedDecoder((model) => {
      for (const opset of model.opsetImport!) if (!opset.domain) opset.version = 9;
    });
    expect(addLogitsToKeep(bytes, decoder)).toBeUndefined();
  });

  it('leaves a model with weights in external data', () => {
    const bytes = editedDecoder((model) => {
      const tensor = model.graph!.initializer![0]!;
      tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tensor.externalData = [{ key: 'location', value: 'model.onnx_data' }];
    });
    expect(addLogitsToKeep(bytes, decoder)).toBeUndefined();
  });

  it('opens a graph it leaves alone from the bytes it read, not by reading the file again', async () => {
    const path = fixture('tiny-gpt-nocache', 'onnx', 'model.onnx');
    const opened: (string | Uint8Array)[] = [];
    const session = await createSession(ort as never, {
      model: path,
      label: 'tiny-gpt-nocache',
      sessionOptions: {},
      queue: true,
      logitsToKeep: { ...decoder, read: async () => new Uint8Array(readFileSync(path)) },
      open: async (runtime, model, options) => {
        opened.push(model);
        return runtime.InferenceSession.create(model as Uint8Array, options);
      },
    });
    try {
      expect(session.logitsToKeep).toBe('none');
      expect(opened).toHaveLength(1);
      expect(opened[0]).toBeInstanceOf(Uint8Array);
      expect((opened[0] as Uint8Array).byteLength).toBe(readFileSync(path).byteLength);
    } finally {
      await session.release();
    }
  });

  it('opens a graph with external data by path, where onnxruntime finds the files beside it', async () => {
    const bytes = editedDecoder((model) => {
      const tensor = model.graph!.initializer![0]!;
      tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tensor.externalData = [{ key: 'location', value: 'model.onnx_data' }];
    });
    const opened: (string | Uint8Array)[] = [];
    await expect(
      createSession(ort as never, {
        model: '/nowhere/model.onnx',
        label: 'external',
        sessionOptions: {},
        queue: true,
        logitsToKeep: { ...decoder, read: async () => bytes },
        open: async (_runtime, model) => {
          opened.push(model);
          throw new Error('not opened in this test');
        },
      }),
    ).rejects.toThrow(/not opened in this test/);
    expect(opened).toEqual(['/nowhere/model.onnx']);
  });

  it('leaves an lm_head whose output also feeds another node', () => {
    const bytes = editedDecoder((model) => {
      const identity = producer(model, 'logits');
      model.graph!.node!.push(
        onnx.NodeProto.create({ opType: 'Identity', input: [identity.input![0]!], output: ['also'] }),
      );
    });
    expect(addLogitsToKeep(bytes, decoder)).toBeUndefined();
  });

  it('leaves a decoder without a KV cache when nothing else says it is one', () => {
    const bytes = new Uint8Array(readFileSync(fixture('tiny-gpt-nocache', 'onnx', 'model.onnx')));
    expect(addLogitsToKeep(bytes, { kvCacheRequired: true })).toBeUndefined();
    expect(addLogitsToKeep(bytes, { kvCacheRequired: false })).toBeInstanceOf(Uint8Array);
  });

  it('leaves bytes that are not a model', () => {
    expect(addLogitsToKeep(new TextEncoder().encode('<!doctype html>'), decoder)).toBeUndefined();
  });

  it('loads the merged Whisper decoder and an embedding model as before and says none', async () => {
    const whisper = await loadModel(join(fixturesDir, 'tiny-whisper'));
    const bert = await loadModel(fixture('tiny-bert'));
    try {
      expect(whisper.describe().logitsToKeep).toBe('none');
      expect(bert.describe().logitsToKeep).toBe('none');
      expect(bert.describe().inputs.map((input) => input.name)).not.toContain('logits_to_keep');
    } finally {
      await whisper.dispose();
      await bert.dispose();
    }
  });

  it('opens a text-generation model given as bytes, loaded as a tensor model, as it is', async () => {
    const model = await loadModel(decoderFile(), { task: 'tensor' });
    try {
      expect(model.describe().logitsToKeep).toBe('none');
    } finally {
      await model.dispose();
    }
  });
});

/**
 * tiny-gpt with its lm_head quantized as onnxruntime's quantize_dynamic writes it: DynamicQuantizeLinear on
 * the activation, MatMulInteger with int8 weights, Cast, and a Mul by the product of the two scales.
 * `scaleDims` / `zeroPointDims` give the weight scale or the activation's zero point a shape (an
 * initializer of that rank) instead of the scalars onnxruntime writes.
 */
function quantizedDecoder(options: { scaleDims?: number[]; zeroPointDims?: number[] } = {}): Uint8Array {
  return editedDecoder((model) => {
    const graph = model.graph!;
    const identity = producer(model, 'logits');
    const matMul = producer(model, identity.input![0]!);
    const [activation, weightName] = matMul.input as [string, string];
    const weight = graph.initializer!.find((tensor) => tensor.name === weightName)!;
    const raw = weight.rawData!;
    const values = new Float32Array(raw.slice().buffer);
    const scale = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0) / 127;
    const quantized = Int8Array.from(values, (value) => Math.round(value / scale));
    const { FLOAT, INT8, UINT8 } = onnx.TensorProto.DataType;
    graph.initializer!.push(
      onnx.TensorProto.create({
        name: 'q/w',
        dataType: INT8,
        dims: weight.dims,
        rawData: new Uint8Array(quantized.buffer),
      }),
      onnx.TensorProto.create({
        name: 'q/w_scale',
        dataType: FLOAT,
        dims: options.scaleDims ?? [],
        floatData: [scale],
      }),
      onnx.TensorProto.create({ name: 'q/w_zero', dataType: INT8, dims: [], rawData: Uint8Array.of(0) }),
    );
    let activationZero = 'q/x_zero';
    if (options.zeroPointDims) {
      activationZero = 'q/x_zero_given';
      graph.initializer!.push(
        onnx.TensorProto.create({
          name: activationZero,
          dataType: UINT8,
          dims: options.zeroPointDims,
          rawData: Uint8Array.of(128),
        }),
      );
    }
    const node = (opType: string, input: string[], output: string[], attribute: object[] = []) =>
      onnx.NodeProto.create({ opType, input, output, name: output[0], attribute });
    graph.node!.splice(
      graph.node!.indexOf(matMul),
      1,
      node('DynamicQuantizeLinear', [activation], ['q/x', 'q/x_scale', 'q/x_zero']),
      node('MatMulInteger', ['q/x', 'q/w', activationZero, 'q/w_zero'], ['q/product']),
      node(
        'Cast',
        ['q/product'],
        ['q/product_float'],
        [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
      ),
      node('Mul', ['q/x_scale', 'q/w_scale'], ['q/scale']),
      node('Mul', ['q/product_float', 'q/scale'], [matMul.output![0]!]),
    );
  });
}

describe("a dynamically quantized lm_head (onnxruntime's quantize_dynamic)", () => {
  const ids = [5, 17, 42, 8, 99, 3, 250];

  it("slices its quantized activation: the kept rows are the quantized graph's own, within 1e-5", async () => {
    const bytes = quantizedDecoder();
    const added = addLogitsToKeep(bytes, decoder);
    expect(added).toBeInstanceOf(Uint8Array);
    const original = await ort.InferenceSession.create(bytes);
    const rewritten = await ort.InferenceSession.create(added!);
    try {
      const full = await expectKeptRows(original, rewritten, ids, [
        [1n, 1],
        [3n, 3],
        [0n, ids.length],
      ]);
      // The quantized head is not the float one: the comparison above would see a slice in the wrong place.
      const float = await ort.InferenceSession.create(decoderFile());
      const floatLogits = (await float.run(prefillFeeds(float, ids))).logits!;
      await float.release();
      expect(maxAbsDiff(floatLogits.data as Float32Array, full.data as Float32Array)).toBeGreaterThan(1e-5);
    } finally {
      await original.release();
      await rewritten.release();
    }
  });

  it('leaves it when the scale could hold positions (not a scalar or a vector)', () => {
    expect(addLogitsToKeep(quantizedDecoder({ scaleDims: [1, 1] }), decoder)).toBeUndefined();
  });

  it("leaves it when the activation's zero point could hold positions (per-row)", () => {
    expect(addLogitsToKeep(quantizedDecoder({ zeroPointDims: [1, 1] }), decoder)).toBeUndefined();
  });

  it('generates the same greedy text as the quantized graph left alone', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mlkit-q8-head-'));
    cpSync(fixture('tiny-gpt'), folder, { recursive: true });
    writeFileSync(join(folder, 'onnx', 'model.onnx'), quantizedDecoder());
    const added = (await loadModel(folder, { task: 'text-generation' })) as Generator;
    const plain = (await loadModel(folder, { task: 'text-generation', logitsToKeep: false })) as Generator;
    try {
      expect(added.describe().logitsToKeep).toBe('added');
      expect(plain.describe().logitsToKeep).toBe('none');
      for (const prompt of ['the quick brown fox', 'a', 'tell me a long story about the sea and the ships']) {
        const [a, b] = [
          await added.run({ prompt, maxTokens: 12 }),
          await plain.run({ prompt, maxTokens: 12 }),
        ];
        expect(a.usage.outputTokens).toBeGreaterThan(0);
        expect(a.text).toBe(b.text);
      }
    } finally {
      await added.dispose();
      await plain.dispose();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('generation with the added input', () => {
  const prompts = [
    { prompt: 'the quick brown fox', maxTokens: 12 },
    { prompt: 'a', maxTokens: 8 },
    {
      messages: [{ role: 'user' as const, content: 'tell me a long story about the sea and the ships' }],
      maxTokens: 16,
    },
  ];

  for (const name of ['tiny-gpt', 'tiny-gpt-nocache'] as const) {
    it(`${name}: greedy output equals the unrewritten graph's, and describe() says added`, async () => {
      const added = (await loadModel(fixture(name), { task: 'text-generation' })) as Generator;
      const plain = (await loadModel(fixture(name), {
        task: 'text-generation',
        logitsToKeep: false,
      })) as Generator;
      try {
        expect(added.describe().logitsToKeep).toBe('added');
        expect(plain.describe().logitsToKeep).toBe('none');
        expect(added.describe().inputs).toEqual(plain.describe().inputs);
        for (const input of prompts) {
          const [a, b] = [await added.run(input), await plain.run(input)];
          expect(a.text).toBe(b.text);
          expect(a.usage.outputTokens).toBe(b.usage.outputTokens);
        }
      } finally {
        await added.dispose();
        await plain.dispose();
      }
    });
  }

  it('feeds logits_to_keep 1 to every run of one generation and gets one row back', async () => {
    const fed: bigint[] = [];
    const { result } = await recordSessions(
      () => loadModel(fixture('tiny-gpt'), { task: 'text-generation' }),
      (record) => {
        record.onRun = (feeds) => {
          const keep = (feeds as unknown as Record<string, { data: BigInt64Array }>).logits_to_keep;
          if (keep) fed.push(keep.data[0]!);
        };
      },
    );
    const model = result as Generator;
    try {
      const output = await model.run({ prompt: 'the quick brown fox', maxTokens: 5 });
      expect(fed.length).toBeGreaterThan(0);
      expect(fed.length).toBe(model.describe().runs);
      expect(new Set(fed)).toEqual(new Set([1n]));
      expect(output.usage.outputTokens).toBeGreaterThan(0);
    } finally {
      await model.dispose();
    }
  });

  it('continuous batching prefills prompts of different lengths in one run, keeping from the shortest one', async () => {
    const prefills: { rows: number; columns: number; keep: bigint }[] = [];
    const { result } = await recordSessions(
      () => loadModel(fixture('tiny-gpt'), { task: 'text-generation', continuousBatching: { maxBatch: 4 } }),
      (record) => {
        record.onRun = (raw) => {
          const feeds = raw as Record<string, { dims: readonly number[]; data: BigInt64Array }>;
          const [rows, columns] = feeds.input_ids!.dims as [number, number];
          if (columns > 1) prefills.push({ rows, columns, keep: feeds.logits_to_keep!.data[0]! });
        };
      },
    );
    const batched = result as Generator;
    const plain = (await loadModel(fixture('tiny-gpt'), {
      task: 'text-generation',
      logitsToKeep: false,
    })) as Generator;
    // Lengths close enough for one padded run (padding under a third of it).
    const inputs = [
      'the quick brown fox jumps',
      'the quick brown fox jumps over it',
      'the quick brown fox',
    ].map((prompt) => ({ prompt, maxTokens: 6 }));
    try {
      const together = await Promise.all(inputs.map((input) => batched.run(input)));
      for (const [index, input] of inputs.entries()) {
        expect(together[index]!.text).toBe((await plain.run(input)).text);
      }
      const mixed = prefills.find((run) => run.rows > 1);
      expect(mixed).toBeDefined();
      // Kept: from the shortest prompt of the run's last position on, so fewer than all its columns.
      const keeps = together.map((output) => BigInt(mixed!.columns - output.usage.inputTokens! + 1));
      expect(keeps).toContain(mixed!.keep);
      expect(mixed!.keep).toBeGreaterThan(1n);
      expect(mixed!.keep).toBeLessThan(BigInt(mixed!.columns));
    } finally {
      await batched.dispose();
      await plain.dispose();
    }
  });
});
