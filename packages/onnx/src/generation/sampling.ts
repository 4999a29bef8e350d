import { InvalidInputError } from '@mlkit/core';

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

/** OpenAI's logit adjustments of text generation (the task input's fields of the same names). */
export interface LogitAdjustments {
  frequencyPenalty?: number | undefined;
  presencePenalty?: number | undefined;
  logitBias?: Record<number, number> | undefined;
}

/**
 * A logits processor with OpenAI's semantics, applied before temperature and sampling:
 * `logit[t] -= count[t] * frequencyPenalty + (count[t] > 0) * presencePenalty` over the tokens
 * generated so far (not the prompt), then `logit[t] += logitBias[t]`; a bias of -100 bans the
 * token outright. `record` counts each generated token.
 */
export class LogitsProcessor {
  readonly #counts = new Map<number, number>();
  readonly #frequencyPenalty: number;
  readonly #presencePenalty: number;
  readonly #bias: [token: number, bias: number][];

  constructor({ frequencyPenalty = 0, presencePenalty = 0, logitBias = {} }: LogitAdjustments) {
    this.#frequencyPenalty = frequencyPenalty;
    this.#presencePenalty = presencePenalty;
    this.#bias = Object.entries(logitBias).map(([token, bias]) => [
      Number(token),
      bias <= -100 ? Number.NEGATIVE_INFINITY : bias,
    ]);
  }

  /** True when the adjustments change nothing, so the logits can be used as they are. */
  static isNoop({ frequencyPenalty, presencePenalty, logitBias }: LogitAdjustments): boolean {
    return !frequencyPenalty && !presencePenalty && (!logitBias || Object.keys(logitBias).length === 0);
  }

  /** Adjusts one row of logits in place and returns it; token ids past the vocabulary are the caller's mistake. */
  apply(out: Float32Array): Float32Array {
    for (const [token] of this.#bias) {
      if (token >= out.length) {
        throw new InvalidInputError(
          `Invalid input — input.logitBias: token id ${token} is outside the model's vocabulary of ${out.length} tokens`,
          { issues: [{ path: `input.logitBias.${token}`, message: `token ids are 0..${out.length - 1}` }] },
        );
      }
    }
    if (this.#frequencyPenalty !== 0 || this.#presencePenalty !== 0) {
      for (const [token, count] of this.#counts) {
        if (token < out.length) out[token]! -= count * this.#frequencyPenalty + this.#presencePenalty;
      }
    }
    for (const [token, bias] of this.#bias) out[token]! += bias;
    return out;
  }

  /** Count a generated token for the penalties. */
  record(token: number): void {
    this.#counts.set(token, (this.#counts.get(token) ?? 0) + 1);
  }
}
