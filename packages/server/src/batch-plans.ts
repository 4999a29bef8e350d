import {
  type ClassificationOutput,
  type EmbeddingInput,
  type EmbeddingOutput,
  ServerError,
  type Usage,
} from '@mlkit/core';
import type { BatchPlan } from './batcher.ts';

/** Classification input after validation. */
export type ClassificationRequest = { text: string | string[] } | { rows: number[][] };
export type EmbeddingRequest = EmbeddingInput;

/**
 * A batch's usage shared among its requests by `weights` (items or characters). Token counts are
 * rounded, so shares are estimates: only the whole batch's usage is exact.
 */
function shareUsage(usage: Usage, weights: number[]): Usage[] {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  return weights.map((weight) => {
    const fraction = weight / total;
    const share: Usage = { ...usage };
    for (const field of ['inputTokens', 'outputTokens', 'totalTokens'] as const) {
      const value = usage[field];
      if (value !== undefined) share[field] = Math.round(value * fraction);
    }
    if (usage.costUsd !== undefined) share.costUsd = usage.costUsd * fraction;
    return share;
  });
}

function sliceEach<T>(items: readonly T[], counts: number[], what: string): T[][] {
  const expected = counts.reduce((a, b) => a + b, 0);
  if (items.length !== expected) {
    throw new ServerError(`The model returned ${items.length} ${what} for a batch of ${expected}`);
  }
  const out: T[][] = [];
  let offset = 0;
  for (const count of counts) {
    out.push(items.slice(offset, offset + count));
    offset += count;
  }
  return out;
}

const textsOf = (text: string | string[]) => (typeof text === 'string' ? [text] : text);
const characters = (texts: string[]) => texts.reduce((sum, text) => sum + text.length, 0) + texts.length;

/** Texts with texts, rows with rows of the same width; one prediction per item. */
export const classificationPlan: BatchPlan<ClassificationRequest, ClassificationOutput> = {
  key(input) {
    if ('text' in input) return 'text';
    const width = input.rows[0]!.length;
    return input.rows.every((row) => row.length === width) ? `rows:${width}` : undefined;
  },
  size: (input) => ('text' in input ? textsOf(input.text).length : input.rows.length),
  merge(inputs) {
    if ('text' in inputs[0]!)
      return { text: inputs.flatMap((input) => textsOf((input as { text: string }).text)) };
    return { rows: inputs.flatMap((input) => (input as { rows: number[][] }).rows) };
  },
  split(output, inputs) {
    const counts = inputs.map((input) => classificationPlan.size(input));
    const weights = inputs.map((input) =>
      'text' in input ? characters(textsOf(input.text)) : input.rows.length,
    );
    const usages = shareUsage(output.usage, weights);
    return sliceEach(output.predictions, counts, 'predictions').map((predictions, i) => ({
      predictions,
      usage: usages[i]!,
    }));
  },
};

const itemsOf = (input: EmbeddingRequest) => ('texts' in input ? input.texts : input.tokens);

/** Texts with texts, token ids with token ids, asking for the same `dimensions`; one vector per item. */
export const embeddingPlan: BatchPlan<EmbeddingRequest, EmbeddingOutput> = {
  key: (input) => `${'texts' in input ? 'texts' : 'tokens'}:dimensions:${input.dimensions ?? 'default'}`,
  size: (input) => itemsOf(input).length,
  merge: (inputs) => ({
    ...('texts' in inputs[0]!
      ? { texts: inputs.flatMap((input) => (input as { texts: string[] }).texts) }
      : { tokens: inputs.flatMap((input) => (input as { tokens: number[][] }).tokens) }),
    ...(inputs[0]!.dimensions === undefined ? {} : { dimensions: inputs[0]!.dimensions }),
  }),
  split(output, inputs) {
    const usages = shareUsage(
      output.usage,
      inputs.map((input) =>
        'texts' in input ? characters(input.texts) : input.tokens.reduce((sum, ids) => sum + ids.length, 0),
      ),
    );
    return sliceEach(
      output.embeddings,
      inputs.map((input) => itemsOf(input).length),
      'embeddings',
    ).map((embeddings, i) => ({ embeddings, dimensions: output.dimensions, usage: usages[i]! }));
  },
};
