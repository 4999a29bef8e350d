/** A seeded PRNG (mulberry32): the same seed gives the same draws on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest of `length` values from `offset` (the first on ties, as torch.argmax). */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let i = 1; i < length; i++) {
    const value = values[offset + i]!;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

export interface SamplingOptions {
  /** > 0; 1 keeps the model's distribution. */
  temperature: number;
  topK?: number | undefined;
  topP?: number | undefined;
}

/** Indices of the `k` largest values (unordered), by a bounded selection instead of a full sort. */
function topKIndices(values: Float32Array, k: number): number[] {
  const n = values.length;
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  // Keep the current k best in an array with its minimum tracked; fine for the small k of sampling.
  const best: number[] = [];
  let minPos = 0;
  for (let i = 0; i < n; i++) {
    if (best.length < k) {
      best.push(i);
      if (best.length === k) {
        minPos = 0;
        for (let j = 1; j < k; j++) if (values[best[j]!]! < values[best[minPos]!]!) minPos = j;
      }
      continue;
    }
    if (values[i]! > values[best[minPos]!]!) {
      best[minPos] = i;
      minPos = 0;
      for (let j = 1; j < k; j++) if (values[best[j]!]! < values[best[minPos]!]!) minPos = j;
    }
  }
  return best;
}

/**
 * Draw a token from one row of logits with temperature, then top-k, then top-p (nucleus) filtering,
 * as transformers' logits warpers apply them. `random` is the seeded source.
 */
export function sample(logits: Float32Array, options: SamplingOptions, random: () => number): number {
  const { temperature, topK, topP } = options;
  let candidates: number[] =
    topK && topK < logits.length
      ? topKIndices(logits, topK)
      : Array.from({ length: logits.length }, (_, i) => i);
  let max = Number.NEGATIVE_INFINITY;
  for (const index of candidates) if (logits[index]! > max) max = logits[index]!;
  let probs = candidates.map((index) => Math.exp((logits[index]! - max) / temperature));
  let sum = probs.reduce((a, b) => a + b, 0);
  if (topP !== undefined && topP < 1) {
    const order = probs
      .map((_, i) => i)
      .sort((a, b) => probs[b]! - probs[a]! || candidates[a]! - candidates[b]!);
    const kept: number[] = [];
    let mass = 0;
    for (const i of order) {
      kept.push(i);
      mass += probs[i]! / sum;
      if (mass >= topP) break;
    }
    candidates = kept.map((i) => candidates[i]!);
    probs = kept.map((i) => probs[i]!);
    sum = probs.reduce((a, b) => a + b, 0);
  } else {
    // A fixed order makes the draw depend on the seed only, not on the selection's internal order.
    const order = candidates.map((_, i) => i).sort((a, b) => candidates[a]! - candidates[b]!);
    candidates = order.map((i) => candidates[i]!);
    probs = order.map((i) => probs[i]!);
  }
  let threshold = random() * sum;
  for (let i = 0; i < candidates.length; i++) {
    threshold -= probs[i]!;
    if (threshold <= 0) return candidates[i]!;
  }
  return candidates[candidates.length - 1]!;
}
