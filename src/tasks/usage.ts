import * as z from 'zod/mini';

const count = z.optional(z.int().check(z.nonnegative()));
const amount = z.optional(z.number().check(z.nonnegative()));

/**
 * One usage type everywhere: tokens (hosted and local), cost (from an overridable price table,
 * filled by `meter()`), and local compute figures.
 */
export const Usage = z.object({
  inputTokens: count,
  outputTokens: count,
  totalTokens: count,
  /** Cost of the call in US dollars, when a price is known. */
  costUsd: amount,
  /** Milliseconds from the call until the first output token (streams and local generation). */
  timeToFirstTokenMs: amount,
  /** Output tokens per second of generation, excluding time to first token. */
  tokensPerSecond: amount,
  /** Wall-clock milliseconds of the call. */
  durationMs: amount,
  /** Where a local model ran: 'cpu', 'wasm', 'webgpu', 'cuda', ... */
  device: z.optional(z.string()),
});
export type Usage = z.infer<typeof Usage>;
