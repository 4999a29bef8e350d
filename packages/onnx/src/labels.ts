import { ModelLoadError } from '@mlkit/core';
import type { ModelFolder } from './folder.ts';

/**
 * Class labels by index: the `labels` option, else config.json `id2label` (keys are indices as
 * strings), else the labels of the graph's ai.onnx.ml classifier node (a scikit-learn export's
 * `classes_`), else `LABEL_0`, `LABEL_1`, ... as transformers names unnamed classes.
 */
export function resolveLabels(
  folder: ModelFolder,
  optionLabels: string[] | undefined,
  classes: number | undefined,
  label: string,
  graphLabels?: string[],
): string[] | undefined {
  let labels = optionLabels;
  let from = optionLabels ? 'the labels option' : 'config.json id2label';
  if (!labels) {
    const id2label = folder.config?.id2label as Record<string, string> | undefined;
    if (id2label && typeof id2label === 'object') {
      const entries = Object.entries(id2label).map(([key, value]) => [Number(key), String(value)] as const);
      if (entries.every(([index]) => Number.isInteger(index) && index >= 0)) {
        labels = [];
        for (const [index, value] of entries) labels[index] = value;
        for (let i = 0; i < labels.length; i++) labels[i] ??= `LABEL_${i}`;
      }
    }
  }
  if (!labels && graphLabels && graphLabels.length > 0) {
    labels = graphLabels;
    from = "the classifier node's class labels";
  }
  if (labels && classes !== undefined && labels.length !== classes) {
    throw new ModelLoadError(
      `${label}: the model scores ${classes} classes but ${from} names ${labels.length} (${labels.join(', ')})`,
    );
  }
  if (!labels && classes !== undefined) labels = Array.from({ length: classes }, (_, i) => `LABEL_${i}`);
  return labels;
}

/** Softmax of `row` in place (numerically stable). */
export function softmaxInPlace(row: Float32Array | number[]): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp(row[i]! - max);
    row[i] = e;
    sum += e;
  }
  for (let i = 0; i < row.length; i++) row[i]! /= sum;
}

/** Logistic sigmoid of `row` in place (multi-label classifiers). */
export function sigmoidInPlace(row: Float32Array | number[]): void {
  for (let i = 0; i < row.length; i++) row[i] = 1 / (1 + Math.exp(-row[i]!));
}
