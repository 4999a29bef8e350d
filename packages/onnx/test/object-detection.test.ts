import { env, pipeline, RawImage } from '@huggingface/transformers';
import { type Detection, InvalidInputError, type ObjectDetectionTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { recordSessions } from './ort-spy.ts';
import { loadInferred } from './support.ts';
import {
  SAMPLE_IMAGES,
  sampleImage,
  sampleImagePath,
  visionFixture,
  visionReference,
} from './vision-support.ts';

type Expected = { label: string; score: number; box: Detection['box'] };

/** Both lists in one order (score, then box), so that lists from different libraries line up. */
const ordered = (list: readonly Expected[]) =>
  [...list].sort((a, b) => b.score - a.score || a.box.xmin - b.box.xmin || a.box.ymin - b.box.ymin);

/** Labels equal one by one; scores and box corners within `tolerance`. */
function expectSameDetections(mine: readonly Expected[], theirs: readonly Expected[], tolerance: number) {
  expect(mine.length).toBe(theirs.length);
  const [a, b] = [ordered(mine), ordered(theirs)];
  a.forEach((detection, i) => {
    expect(detection.label).toBe(b[i]!.label);
    expect(Math.abs(detection.score - b[i]!.score)).toBeLessThan(tolerance);
    for (const corner of ['xmin', 'ymin', 'xmax', 'ymax'] as const)
      expect(Math.abs(detection.box[corner] - b[i]!.box[corner])).toBeLessThan(tolerance);
  });
}

beforeAll(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${visionFixture('tiny-detr')}/../`;
});

describe('object detection with tiny-detr (logits + pred_boxes)', () => {
  const reference = visionReference('tiny-detr');
  const threshold = reference.threshold!;
  let model: OnnxModel<ObjectDetectionTask>;
  beforeAll(async () => {
    model = await loadInferred('object-detection', visionFixture('tiny-detr'));
  });
  afterAll(() => model.dispose());

  it.each(SAMPLE_IMAGES)(
    "agrees with transformers.js's pipeline on %s (labels, scores and boxes within 1e-3)",
    async (image) => {
      const detect = await pipeline('object-detection', 'tiny-detr', { dtype: 'fp32' });
      const theirs = (await detect(await RawImage.read(sampleImagePath(image)), { threshold })) as Expected[];
      const { detections } = await model.run({ image: sampleImage(image), threshold });
      expect(detections[0]!.length).toBeGreaterThan(0);
      expectSameDetections(detections[0]!, theirs, 1e-3);
      await detect.dispose();
    },
  );

  it.each(SAMPLE_IMAGES)(
    'finds what the Python reference finds on %s (labels and whole-pixel boxes equal)',
    async (image) => {
      // Python resizes with Pillow, transformers.js and mlkit with sharp: the scores differ in the third decimal.
      const { detections } = await model.run({ image: sampleImage(image), threshold });
      const expected = reference[image]!.detections!;
      expect(detections[0]!.map((d) => d.label).sort()).toEqual(expected.map((d) => d.label).sort());
      const boxes = (list: readonly Expected[]) => list.map((d) => JSON.stringify(d.box)).sort();
      expect(boxes(detections[0]!)).toEqual(boxes(expected));
      expectSameDetections(detections[0]!, expected, 1e-2);
    },
  );

  it('lists detections best first, each at or above the threshold', async () => {
    const { detections } = await model.run({ image: sampleImage('stripes.png'), threshold });
    const scores = detections[0]!.map((d) => d.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores.every((score) => score >= threshold)).toBe(true);
    const none = await model.run({ image: sampleImage('stripes.png'), threshold: 1 });
    expect(none.detections).toEqual([[]]);
  });

  it('runs images of one size in one session run, each detected as alone', async () => {
    const { result: batched, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-detr'), { task: 'object-detection' }),
    );
    try {
      // The shapes images are landscape, the stripes portrait: one size here.
      const images = ['shapes.png', 'shapes.jpg', 'shapes.webp'].map(sampleImage);
      const { detections } = await batched.run({ image: images, threshold });
      expect(sessions[0]!.runs).toBe(1);
      for (const [i, image] of images.entries()) {
        const alone = await model.run({ image, threshold });
        expectSameDetections(detections[i]!, alone.detections[0]!, 1e-5);
      }
    } finally {
      await batched.dispose();
    }
  });

  it('runs images of different sizes in one run per size', async () => {
    const { result: batched, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-detr'), { task: 'object-detection' }),
    );
    try {
      const small = {
        data: new Uint8Array(32 * 32 * 3).fill(128),
        width: 32,
        height: 32,
        channels: 3 as const,
      };
      const { detections } = await batched.run({
        image: [sampleImage('shapes.png'), small, sampleImage('shapes.jpg')],
        threshold,
      });
      expect(detections).toHaveLength(3);
      expect(sessions[0]!.runs).toBe(2);
      const alone = await model.run({ image: small, threshold });
      expectSameDetections(detections[1]!, alone.detections[0]!, 1e-5);
    } finally {
      await batched.dispose();
    }
  });
});

describe('object detection with tiny-yolo (one [1, 4 + classes, candidates] output, NMS)', () => {
  const reference = visionReference('tiny-yolo');
  let model: OnnxModel<ObjectDetectionTask>;
  beforeAll(async () => {
    model = await loadInferred('object-detection', visionFixture('tiny-yolo'));
  });
  afterAll(() => model.dispose());

  it.each(SAMPLE_IMAGES)(
    'finds what the Python reference finds on %s, within a resize of it',
    async (image) => {
      // Python resizes with Pillow, mlkit with sharp (as transformers.js): the pixels differ by a level
      // or two, which moves boxes by up to 0.2 px and lets a few boxes at the threshold's edge come or go.
      const expected = reference[image]!.detections!;
      const { detections } = await model.run({
        image: sampleImage(image),
        threshold: reference.conf_threshold!,
      });
      let matched = 0;
      for (const want of expected) {
        const found = detections[0]!.find(
          (d) =>
            d.label === want.label &&
            Math.abs(d.box.xmin - want.box.xmin) < 0.5 &&
            Math.abs(d.box.ymin - want.box.ymin) < 0.5,
        );
        if (!found) continue;
        matched++;
        expect(Math.abs(found.score - want.score)).toBeLessThan(1e-2);
        for (const corner of ['xmin', 'ymin', 'xmax', 'ymax'] as const)
          expect(Math.abs(found.box[corner] - want.box[corner])).toBeLessThan(0.5);
      }
      expect(matched).toBeGreaterThanOrEqual(expected.length - 3);
      expect(detections[0]!.length - matched).toBeLessThanOrEqual(3);
    },
  );

  it('runs a model with a fixed batch of 1 once per image, saying maxBatch 1', async () => {
    const { result: yolo, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-yolo'), { task: 'object-detection' }),
    );
    try {
      expect(yolo.capabilities.maxBatch).toBe(1);
      const { detections } = await yolo.run({
        image: [sampleImage('shapes.png'), sampleImage('stripes.png')],
        threshold: 0.25,
      });
      expect(detections).toHaveLength(2);
      expect(sessions[0]!.runs).toBe(2);
    } finally {
      await yolo.dispose();
    }
  });

  it('keeps overlapping boxes of one class that iouThreshold 1 no longer suppresses', async () => {
    const loose = await loadModel(visionFixture('tiny-yolo'), { task: 'object-detection', iouThreshold: 1 });
    try {
      const image = sampleImage('stripes.png');
      const kept = (await loose.run({ image, threshold: 0.25 })).detections[0]!;
      const suppressed = (await model.run({ image, threshold: 0.25 })).detections[0]!;
      expect(kept.length).toBeGreaterThan(suppressed.length);
    } finally {
      await loose.dispose();
    }
  });

  it('refuses an image it cannot decode before any run', async () => {
    const { result: yolo, sessions } = await recordSessions(() =>
      loadModel(visionFixture('tiny-yolo'), { task: 'object-detection' }),
    );
    try {
      await expect(yolo.run({ image: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      expect(sessions[0]!.runs).toBe(0);
    } finally {
      await yolo.dispose();
    }
  });
});
