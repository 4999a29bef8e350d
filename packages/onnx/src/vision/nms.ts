import type { BoundingBox } from '@mlkit/core';

/** Intersection over union of two boxes; 0 when they have no area. */
export function intersectionOverUnion(a: BoundingBox, b: BoundingBox): number {
  const width = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin);
  const height = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin);
  const intersection = Math.max(0, width) * Math.max(0, height);
  const union = (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * Greedy non-maximum suppression: candidates best first (ties by index), each kept unless a kept
 * one overlaps it by more than `iouThreshold`. Returns the kept indices, best first.
 */
export function nonMaximumSuppression(
  boxes: readonly BoundingBox[],
  scores: ArrayLike<number>,
  iouThreshold: number,
): number[] {
  const order = Array.from(boxes.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept: number[] = [];
  for (const candidate of order) {
    if (kept.every((k) => intersectionOverUnion(boxes[k]!, boxes[candidate]!) <= iouThreshold))
      kept.push(candidate);
  }
  return kept;
}
