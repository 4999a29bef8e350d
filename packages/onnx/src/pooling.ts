/** How token vectors become one text vector. */
export type Pooling = 'mean' | 'cls' | 'last';

/**
 * Pool row `row` of a right-padded [batch, sequence, hidden] output straight from its Float32Array:
 * mean over the first `length` (real, attention-mask 1) tokens, the first token (CLS) or the last real one.
 */
export function poolRow(
  hidden: Float32Array,
  row: number,
  sequence: number,
  size: number,
  length: number,
  pooling: Pooling,
): Float32Array<ArrayBuffer> {
  const base = row * sequence * size;
  if (pooling === 'cls') return new Float32Array(hidden.subarray(base, base + size));
  if (pooling === 'last') {
    const start = base + Math.max(0, length - 1) * size;
    return new Float32Array(hidden.subarray(start, start + size));
  }
  const out = new Float32Array(size);
  const count = Math.max(1, length);
  for (let t = 0; t < count; t++) {
    const offset = base + t * size;
    for (let d = 0; d < size; d++) out[d]! += hidden[offset + d]!;
  }
  const scale = 1 / count;
  for (let d = 0; d < size; d++) out[d]! *= scale;
  return out;
}

/** Scale `vector` to unit length in place (a zero vector stays zero, as torch's normalize with eps). */
export function normalizeInPlace<V extends Float32Array>(vector: V): V {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  return vector;
}

/** Pooling named by a sentence-transformers `1_Pooling/config.json`, if it names one this package does. */
export function poolingFromConfig(
  config: Record<string, unknown> | undefined,
): Pooling | 'unsupported' | undefined {
  if (!config) return undefined;
  if (config.pooling_mode_cls_token) return 'cls';
  if (config.pooling_mode_mean_tokens) return 'mean';
  if (config.pooling_mode_lasttoken) return 'last';
  if (
    config.pooling_mode_max_tokens ||
    config.pooling_mode_mean_sqrt_len_tokens ||
    config.pooling_mode_weightedmean_tokens
  ) {
    return 'unsupported';
  }
  return undefined;
}
