import type { LabelScore } from '@mlkit/core';
import { softmaxInPlace } from '../labels.ts';

/**
 * The `topK` best labels of one row of class logits, best first: softmax over the row, as
 * transformers' image-classification pipeline does (also for multi-label configs).
 */
export function topLabels(logits: Float32Array, labels: readonly string[], topK: number): LabelScore[] {
  const probabilities = Array.from(logits);
  softmaxInPlace(probabilities);
  const order = Array.from(probabilities.keys());
  // A stable sort: equal scores keep class order, as torch.topk and transformers.js's topk do.
  order.sort((a, b) => probabilities[b]! - probabilities[a]!);
  return order.slice(0, Math.min(topK, order.length)).map((index) => ({
    label: labels[index] ?? `LABEL_${index}`,
    score: probabilities[index]!,
  }));
}
