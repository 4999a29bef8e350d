import type { BoundingBox, Detection } from '@mlkit/core';
import { nonMaximumSuppression } from './nms.ts';

/** One image's YOLOv8-style output: per candidate cx, cy, w, h (model-input pixels) and one score per class. */
export interface YoloOutput {
  data: Float32Array;
  candidates: number;
  classes: number;
  /** 'channels-first': [4 + classes, candidates] (Ultralytics' export); 'channels-last': [candidates, 4 + classes]. */
  layout: 'channels-first' | 'channels-last';
}

/**
 * Detections of a YOLOv8-style head: the best class of each candidate, kept from `threshold` up,
 * non-maximum suppression within each class (`iouThreshold`), boxes mapped from model-input pixels
 * to the original image through the resize (`scaleX`, `scaleY`: original / resized). Best first.
 */
export function yoloDetections(
  output: YoloOutput,
  labels: readonly string[],
  options: { threshold: number; iouThreshold: number; scaleX: number; scaleY: number },
): Detection[] {
  const { data, candidates, classes, layout } = output;
  const at =
    layout === 'channels-first'
      ? (candidate: number, channel: number) => data[channel * candidates + candidate]!
      : (candidate: number, channel: number) => data[candidate * (4 + classes) + channel]!;
  const byClass = new Map<number, { indices: number[]; boxes: BoundingBox[]; scores: number[] }>();
  for (let candidate = 0; candidate < candidates; candidate++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (at(candidate, 4 + c) > at(candidate, 4 + best)) best = c;
    const score = at(candidate, 4 + best);
    if (!(score >= options.threshold)) continue;
    const [cx, cy, w, h] = [at(candidate, 0), at(candidate, 1), at(candidate, 2), at(candidate, 3)];
    const group = byClass.get(best) ?? { indices: [], boxes: [], scores: [] };
    byClass.set(best, group);
    group.indices.push(candidate);
    group.scores.push(score);
    group.boxes.push({
      xmin: (cx - w / 2) * options.scaleX,
      ymin: (cy - h / 2) * options.scaleY,
      xmax: (cx + w / 2) * options.scaleX,
      ymax: (cy + h / 2) * options.scaleY,
    });
  }
  const kept: { detection: Detection; index: number }[] = [];
  for (const [label, group] of byClass) {
    for (const k of nonMaximumSuppression(group.boxes, group.scores, options.iouThreshold)) {
      kept.push({
        detection: {
          label: labels[label] ?? `LABEL_${label}`,
          score: group.scores[k]!,
          box: group.boxes[k]!,
        },
        index: group.indices[k]!,
      });
    }
  }
  kept.sort((a, b) => b.detection.score - a.detection.score || a.index - b.index);
  return kept.map((each) => each.detection);
}
