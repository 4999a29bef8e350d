import { z } from 'zod';

/**
 * One usage type everywhere: tokens (hosted and local), cost (from an overridable price table,
 * filled by `meter()`), and local compute figures.
 */
export const Usage = z.object({
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  totalTokens: z.number().int().nonnegative().optional(),
  /** Cost of the call in US dollars, when a price is known. */
  costUsd: z.number().nonnegative().optional(),
  /** Milliseconds from the call until the first output token (streams and local generation). */
  timeToFirstTokenMs: z.number().nonnegative().optional(),
  /** Output tokens per second of generation, excluding time to first token. */
  tokensPerSecond: z.number().nonnegative().optional(),
  /** Wall-clock milliseconds of the call. */
  durationMs: z.number().nonnegative().optional(),
  /** Where a local model ran: 'cpu', 'wasm', 'webgpu', 'cuda', ... */
  device: z.string().optional(),
});
export type Usage = z.infer<typeof Usage>;
