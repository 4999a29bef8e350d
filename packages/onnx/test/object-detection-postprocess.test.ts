import { describe, expect, it } from 'vitest';
import { detrDetections } from '../src/vision/detr.ts';
import { intersectionOverUnion, nonMaximumSuppression } from '../src/vision/nms.ts';
import { yoloDetections } from '../src/vision/yolo.ts';

const box = (xmin: number, ymin: number, xmax: number, ymax: number) => ({ xmin, ymin, xmax, ymax });

describe('non-maximum suppression', () => {
  it('measures intersection over union', () => {
    expect(intersectionOverUnion(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBeCloseTo(50 / 150, 12);
    expect(intersectionOverUnion(box(0, 0, 10, 10), box(20, 20, 30, 30))).toBe(0);
    expect(intersectionOverUnion(box(0, 0, 0, 0), box(0, 0, 0, 0))).toBe(0);
  });

  it('keeps the best of overlapping boxes and every box that overlaps none kept', () => {
    const boxes = [box(0, 0, 10, 10), box(1, 1, 11, 11), box(50, 50, 60, 60), box(2, 0, 12, 10)];
    expect(nonMaximumSuppression(boxes, [0.8, 0.9, 0.3, 0.7], 0.45)).toEqual([1, 2]);
  });

  it('suppresses only above the IoU threshold', () => {
    const boxes = [box(0, 0, 10, 10), box(5, 0, 15, 10)]; // IoU 1/3
    expect(nonMaximumSuppression(boxes, [0.9, 0.8], 0.34)).toEqual([0, 1]);
    expect(nonMaximumSuppression(boxes, [0.9, 0.8], 0.33)).toEqual([0]);
  });

  it('breaks score ties by index', () => {
    expect(nonMaximumSuppression([box(0, 0, 1, 1), box(0, 0, 1, 1)], [0.5, 0.5], 0.45)).toEqual([0]);
  });
});

describe('DETR post-processing', () => {
  const labels = ['cat', 'dog'];
  // Two queries, classes cat, dog and "no object".
  const logits = Float32Array.of(2, 0, 0, /* mostly no object: */ 0, 0.5, 3);
  const boxes = Float32Array.of(0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.1, 0.1);

  it('softmaxes over all classes, keeps the best real class and maps centre/size to original pixels', () => {
    const [cat, ...rest] = detrDetections({ logits, boxes, queries: 2 }, labels, 0.5, {
      width: 200,
      height: 100,
    });
    expect(rest).toEqual([]);
    const e = Math.exp;
    expect(cat!.label).toBe('cat');
    expect(cat!.score).toBeCloseTo(e(2) / (e(2) + 2), 12);
    // cx 0.5, cy 0.5, w 0.5, h 0.25 of 200 x 100: x 50..150, y 37.5..62.5, truncated to whole pixels.
    expect(cat!.box).toEqual({ xmin: 50, ymin: 37, xmax: 150, ymax: 62 });
  });

  it('scores the best real class even where "no object" wins (as transformers does), best first', () => {
    const all = detrDetections({ logits, boxes, queries: 2 }, labels, 0, { width: 200, height: 100 });
    expect(all.map((d) => d.label)).toEqual(['cat', 'dog']);
    const e = Math.exp;
    expect(all[1]!.score).toBeCloseTo(e(0.5) / (1 + e(0.5) + e(3)), 12);
  });
});

describe('YOLO post-processing', () => {
  const labels = ['person', 'car'];
  // [4 + 2, 3 candidates], channels first: two overlapping persons and one car.
  const channelsFirst = Float32Array.of(
    ...[10, 11, 40], // cx
    ...[10, 10, 40], // cy
    ...[10, 10, 8], // w
    ...[10, 10, 8], // h
    ...[0.9, 0.8, 0.1], // person
    ...[0.1, 0.2, 0.6], // car
  );
  const options = { threshold: 0.25, iouThreshold: 0.45, scaleX: 2, scaleY: 0.5 };

  it('takes the best class per candidate, suppresses within a class and scales to the original', () => {
    const found = yoloDetections(
      { data: channelsFirst, candidates: 3, classes: 2, layout: 'channels-first' },
      labels,
      options,
    );
    expect(found.map((d) => [d.label, d.score])).toEqual([
      ['person', expect.closeTo(0.9, 6)],
      ['car', expect.closeTo(0.6, 6)],
    ]);
    expect(found[0]!.box).toEqual({ xmin: 10, ymin: 2.5, xmax: 30, ymax: 7.5 });
    expect(found[1]!.box).toEqual({ xmin: 72, ymin: 18, xmax: 88, ymax: 22 });
  });

  it('reads the transposed layout [candidates, 4 + classes] the same', () => {
    const rows = Float32Array.from({ length: 18 }, (_, i) => channelsFirst[(i % 6) * 3 + Math.floor(i / 6)]!);
    const transposed = yoloDetections(
      { data: rows, candidates: 3, classes: 2, layout: 'channels-last' },
      labels,
      options,
    );
    const first = yoloDetections(
      { data: channelsFirst, candidates: 3, classes: 2, layout: 'channels-first' },
      labels,
      options,
    );
    expect(transposed).toEqual(first);
  });

  it('drops candidates below the threshold and keeps boxes of different classes that overlap', () => {
    const data = Float32Array.of(10, 10, 10, 10, 10, 10, 10, 10, 0.9, 0.1, 0.1, 0.7);
    const found = yoloDetections({ data, candidates: 2, classes: 2, layout: 'channels-first' }, labels, {
      ...options,
      scaleX: 1,
      scaleY: 1,
    });
    expect(found.map((d) => d.label)).toEqual(['person', 'car']);
    const strict = yoloDetections({ data, candidates: 2, classes: 2, layout: 'channels-first' }, labels, {
      ...options,
      threshold: 0.8,
    });
    expect(strict.map((d) => d.label)).toEqual(['person']);
  });
});
