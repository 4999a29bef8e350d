/**
 * The OpenAI-compatible wire shapes mlkit reads, as zod schemas. Only the fields mlkit uses are
 * declared; unknown fields pass through unchecked so that servers adding fields (vLLM, llama.cpp,
 * Ollama, TGI) keep working. Fields some servers send as `null` instead of omitting are nullish.
 */
import { z } from 'zod';

const tokenCount = z.number().int().nonnegative();

/** `usage` of a chat completion or an embeddings response. */
export const WireUsage = z.object({
  prompt_tokens: tokenCount.nullish(),
  completion_tokens: tokenCount.nullish(),
  total_tokens: tokenCount.nullish(),
});
export type WireUsage = z.infer<typeof WireUsage>;

/** Why generation stopped; servers add their own values (e.g. 'abort', 'eos'), so any string is read. */
const WireFinishReason = z.string().nullish();

/** POST chat/completions without `stream`. */
export const ChatCompletion = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().int().optional(),
        // `null` when the model only called tools.
        message: z.object({ content: z.string().nullish() }),
        finish_reason: WireFinishReason,
      }),
    )
    .min(1, 'a chat completion needs at least one choice'),
  usage: WireUsage.nullish(),
});
export type ChatCompletion = z.infer<typeof ChatCompletion>;

/** One `data:` event of a streamed chat completion. `choices` is empty in the final usage chunk. */
export const ChatCompletionChunk = z.object({
  choices: z.array(
    z.object({
      index: z.number().int().optional(),
      delta: z.object({ content: z.string().nullish() }).nullish(),
      finish_reason: WireFinishReason,
    }),
  ),
  usage: WireUsage.nullish(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;

/** POST embeddings. `embedding` is a base64 string of little-endian float32 when `encoding_format: 'base64'`. */
export const EmbeddingResponse = z.object({
  data: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  usage: WireUsage.nullish(),
});
export type EmbeddingResponse = z.infer<typeof EmbeddingResponse>;

/** GET models. */
export const ModelList = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      created: z.number().nullish(),
      owned_by: z.string().nullish(),
    }),
  ),
});
export type ModelList = z.infer<typeof ModelList>;

/**
 * An error sent inside a stream: OpenAI and vLLM send `{"error": {message, type, code}}`, some
 * servers `{"error": "text"}`, older vLLM `{"object": "error", "message": ...}`.
 */
export const StreamErrorBody = z.union([
  z.object({
    error: z.union([
      z.string(),
      z.object({
        message: z.string().nullish(),
        type: z.string().nullish(),
        code: z.union([z.string(), z.number()]).nullish(),
      }),
    ]),
  }),
  z.object({ object: z.literal('error'), message: z.string().nullish(), code: z.number().nullish() }),
]);
export type StreamErrorBody = z.infer<typeof StreamErrorBody>;
