/**
 * How a task's requests share one run: a task that batches declares its plan beside its schemas
 * (`defineTask({ ..., batch })`), and every batcher (`@mlkit/server`'s dynamic batching) reads it
 * from the task, so a new batchable task needs no table elsewhere.
 */
import { ServerError } from '../errors.ts';
import type { Usage } from './usage.ts';

/** How one batchable task merges many requests into one input and splits the output back. */
export interface BatchPlan<I, O> {
  /** Requests with the same key can share a run (same input kind, same options); undefined: run alone. */
  key(input: I): string | undefined;
  /** Items (rows or texts) in one request. */
  size(input: I): number;
  /** The requests' inputs as one input, in order. */
  merge(inputs: I[]): I;
  /** One output per input, in order; must equal what running each input alone returns. */
  split(output: O, inputs: I[]): O[];
}

/**
 * A batch's usage shared among its requests by `weights` (items or characters). Token counts are
 * rounded, so shares are estimates: only the whole batch's usage is exact.
 */
export function shareUsage(usage: Usage, weights: number[]): Usage[] {
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

/** A batch's `items` cut back into one slice per request, `counts[i]` items each. */
export function sliceEach<T>(items: readonly T[], counts: number[], what: string): T[][] {
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

/** Characters of the texts (plus one per text), the weight a text request's usage share goes by. */
export const characters = (texts: string[]): number =>
  texts.reduce((sum, text) => sum + text.length, 0) + texts.length;
