import type { Detection } from '@mlkit/core';
import { softmaxInPlace } from '../labels.ts';

/** One image's DETR outputs: `logits` [queries, classes + 1] (the last is "no object"), `boxes` [queries, 4]. */
export interface DetrOutputs {
  logits: Float32Array;
  /** cx, cy, w, h per query, normalised to the image (0..1). */
  boxes: Float32Array;
  queries: number;
}

/**
 * DETR's detections as transformers' `DetrImageProcessor.post_process_object_detection` makes them:
 * softmax over classes, the best real class per query (the no-object class dropped), kept from
 * `threshold` up; boxes from centre/size to corners, scaled to the original image's pixels and
 * truncated to whole pixels as both Hugging Face object-detection pipelines return them. Best first.
 */
export function detrDetections(
  outputs: DetrOutputs,
  labels: readonly string[],
  threshold: number,
  original: { width: number; height: number },
): Detection[] {
  const width = outputs.logits.length / outputs.queries;
  const detections: Detection[] = [];
  for (let query = 0; query < outputs.queries; query++) {
    const row = Array.from(outputs.logits.subarray(query * width, (query + 1) * width));
    softmaxInPlace(row);
    let best = 0;
    for (let c = 1; c < width - 1; c++) if (row[c]! > row[best]!) best = c;
    const score = row[best]!;
    if (score < threshold) continue;
    const [cx, cy, w, h] = outputs.boxes.subarray(query * 4, query * 4 + 4) as unknown as number[];
    detections.push({
      label: labels[best] ?? `LABEL_${best}`,
      score,
      box: {
        xmin: Math.trunc((cx! - w! / 2) * original.width),
        ymin: Math.trunc((cy! - h! / 2) * original.height),
        xmax: Math.trunc((cx! + w! / 2) * original.width),
        ymax: Math.trunc((cy! + h! / 2) * original.height),
      },
    });
  }
  return detections.sort((a, b) => b.score - a.score);
}
