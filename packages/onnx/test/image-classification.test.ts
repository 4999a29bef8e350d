import { env, pipeline, RawImage } from '@huggingface/transformers';
import {
  AbortError,
  type ImageClassificationTask,
  InvalidInputError,
  type LabelScore,
  ModelLoadError,
} from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { recordSessions } from './ort-spy.ts';
import { loadInferred } from './support.ts';
import {
  SAMPLE_IMAGES,
  sampleImage,
  sampleImagePath,
  type VisionFixture,
  visionFixture,
  visionReference,
} from './vision-support.ts';

const CLASSIFIERS: VisionFixture[] = ['tiny-vit', 'tiny-convnext'];

beforeAll(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${visionFixture('tiny-vit')}/../`;
});

describe.each(CLASSIFIERS)('image classification with %s', (name) => {
  let model: OnnxModel<ImageClassificationTask>;
  beforeAll(async () => {
    model = await loadInferred('image-classification', visionFixture(name));
  });
  afterAll(() => model.dispose());

  it.each(SAMPLE_IMAGES)(
    "agrees with transformers.js's pipeline on %s (labels equal, scores within 1e-5)",
    async (image) => {
      const classify = await pipeline('image-classification', name, { dtype: 'fp32' });
      const theirs = (await classify(await RawImage.read(sampleImagePath(image)), { top_k: 5 })) as {
        label: string;
        score: number;
      }[];
      const { predictions } = await model.run({ image: sampleImage(image), topK: 5 });
      expect(predictions).toHaveLength(1);
      expect(predictions[0]!.map((p) => p.label)).toEqual(theirs.map((p) => p.label));
      for (const [i, p] of predictions[0]!.entries())
        expect(Math.abs(p.score - theirs[i]!.score)).toBeLessThan(1e-5);
      await classify.dispose();
    },
  );

  it.each(SAMPLE_IMAGES)(
    'agrees with the Python reference on %s (each label scored within 5e-3, ranked alike where scores are apart)',
    async (image) => {
      // Python resizes with Pillow, transformers.js and mlkit with sharp: the pixels differ by a level
      // or two, which moves scores in the third decimal and may swap two labels scored that close.
      const reference = visionReference(name)[image]!.top5!;
      const { predictions } = await model.run({ image: sampleImage(image), topK: reference.length });
      const mine = new Map(predictions[0]!.map((p) => [p.label, p.score]));
      expect([...mine.keys()].sort()).toEqual(reference.map((p) => p.label).sort());
      for (const want of reference) expect(Math.abs(mine.get(want.label)! - want.score)).toBeLessThan(5e-3);
      for (let i = 1; i < reference.length; i++) {
        if (reference[i - 1]!.score - reference[i]!.score > 1e-2)
          expect(mine.get(reference[i - 1]!.label)!).toBeGreaterThan(mine.get(reference[i]!.label)!);
      }
    },
  );

  it('returns every class when topK exceeds them, best first, probabilities summing to 1', async () => {
    const { predictions } = await model.run({ image: sampleImage('shapes.png'), topK: 100 });
    const scores = predictions[0]!.map((p) => p.score);
    expect(scores.length).toBe(Object.keys(visionReference(name)['shapes.png']!.top5!).length);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

describe('image classification batching', () => {
  it('runs the images of one call in one session run, each as it scores alone', async () => {
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-vit'), { task: 'image-classification' }),
    );
    try {
      const alone: LabelScore[][] = [];
      for (const image of SAMPLE_IMAGES)
        alone.push((await model.run({ image: sampleImage(image) })).predictions[0]!);
      const before = sessions[0]!.runs;
      const { predictions } = await model.run({ image: SAMPLE_IMAGES.map(sampleImage) });
      expect(sessions[0]!.runs - before).toBe(1);
      predictions.forEach((list, i) => {
        expect(list.map((p) => p.label)).toEqual(alone[i]!.map((p) => p.label));
        for (const [j, p] of list.entries())
          expect(Math.abs(p.score - alone[i]![j]!.score)).toBeLessThan(1e-5);
      });
    } finally {
      await model.dispose();
    }
  });

  it('packs concurrent calls into one run and gives each its own topK', async () => {
    // Decoding is asynchronous, so the calls reach the batcher in different ticks: a long window and
    // maxBatch 3 make the run start as soon as the third image is in.
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-convnext'), {
        task: 'image-classification',
        batching: { windowMs: 60_000, maxBatch: 3 },
      }),
    );
    try {
      const [one, two] = await Promise.all([
        model.run({ image: sampleImage('shapes.png'), topK: 1 }),
        model.run({ image: [sampleImage('stripes.png'), sampleImage('stripes.jpg')], topK: 3 }),
      ]);
      expect(sessions[0]!.runs).toBe(1);
      expect(model.describe().batches).toBe(1);
      expect(one.predictions.map((p) => p.length)).toEqual([1]);
      expect(two.predictions.map((p) => p.length)).toEqual([3, 3]);
      expect(one.usage.device).toBe('cpu');
      expect(one.usage.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await model.dispose();
    }
  });

  it('takes raw RGBA pixels as it takes the encoded file', async () => {
    const model = await loadModel(visionFixture('tiny-vit'), { task: 'image-classification' });
    try {
      const decoded = await RawImage.read(sampleImagePath('shapes.png'));
      const rgba = decoded.rgba();
      const raw = {
        data: new Uint8Array(rgba.data),
        width: rgba.width,
        height: rgba.height,
        channels: 4 as const,
      };
      const fromPixels = await model.run({ image: raw });
      const fromFile = await model.run({ image: sampleImage('shapes.png') });
      expect(fromPixels.predictions[0]!.map((p) => p.label)).toEqual(
        fromFile.predictions[0]!.map((p) => p.label),
      );
      expect(
        Math.abs(fromPixels.predictions[0]![0]!.score - fromFile.predictions[0]![0]!.score),
      ).toBeLessThan(1e-6);
    } finally {
      await model.dispose();
    }
  });
});

describe('image classification refusals', () => {
  it('refuses undecodable bytes by their place in input.image, before any run', async () => {
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-vit'), { task: 'image-classification' }),
    );
    try {
      const error = await model
        .run({ image: [sampleImage('shapes.png'), new TextEncoder().encode('not an image at all')] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toMatch(/input\.image\[1\].*decode/);
      expect(sessions[0]!.runs).toBe(0);
    } finally {
      await model.dispose();
    }
  });

  it('rejects an aborted call with AbortError before it runs', async () => {
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-vit'), { task: 'image-classification' }),
    );
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(
        model.run({ image: sampleImage('shapes.png') }, { signal: controller.signal }),
      ).rejects.toBeInstanceOf(AbortError);
      expect(sessions[0]!.runs).toBe(0);
    } finally {
      await model.dispose();
    }
  });

  it('needs preprocessor_config.json, and says so at load', async () => {
    await expect(
      loadModel(visionFixture('tiny-vit'), {
        task: 'image-classification',
        files: ['config.json', 'onnx/model.onnx'],
      }),
    ).rejects.toThrow(ModelLoadError);
    await expect(
      loadModel(visionFixture('tiny-vit'), {
        task: 'image-classification',
        files: ['config.json', 'onnx/model.onnx'],
      }),
    ).rejects.toThrow(/preprocessor_config\.json/);
  });
});
