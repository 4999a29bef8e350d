import { z } from 'zod';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Schema of one turn of a conversation. */
export const ChatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
/** One turn of a conversation: `role` (`'system' | 'user' | 'assistant'`) and its text. */
export type ChatMessage = z.infer<typeof ChatMessage>;

const sampling = {
  /** Most tokens to generate. */
  maxTokens: z.number().int().positive().optional(),
  /** 0 = greedy. */
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().positive().optional(),
  /** Generation stops before any of these strings; they are not part of the text. */
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]).optional(),
  /** Same seed, same input, same model: same output (where the backend supports seeds). */
  seed: z.number().int().optional(),
  /** Lowers a token's logit by this much per time it was generated already (OpenAI's frequency_penalty). */
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  /** Lowers a token's logit by this much once it was generated at all (OpenAI's presence_penalty). */
  presencePenalty: z.number().min(-2).max(2).optional(),
  /** Added to the logit of each token id; -100 bans a token, 100 all but forces it (OpenAI's logit_bias). */
  logitBias: z.record(z.coerce.number().int().nonnegative(), z.number().min(-100).max(100)).optional(),
};

/** Schema of a text-generation call: `{ messages }` or `{ prompt }`, with sampling settings. */
export const TextGenerationInput = z.union([
  z.strictObject({ messages: z.array(ChatMessage).min(1), ...sampling }),
  z.strictObject({ prompt: z.string(), ...sampling }),
]);
/** What a text-generation call takes: `{ messages }` or `{ prompt }` (one user turn), with sampling settings. */
export type TextGenerationInput = z.input<typeof TextGenerationInput>;

/** Schema of why generation ended. */
export const FinishReason = z.enum(['stop', 'length', 'content-filter', 'error', 'other']);
/** Why generation ended: `'stop'` (end or stop sequence), `'length'` (`maxTokens`), ... */
export type FinishReason = z.infer<typeof FinishReason>;

/** Schema of a text-generation result. */
export const TextGenerationOutput = z.object({
  text: z.string(),
  finishReason: FinishReason,
  usage: Usage,
});
/** A text-generation result: the text, why it ended, and usage. */
export type TextGenerationOutput = z.infer<typeof TextGenerationOutput>;

/** Schema of one streamed text-generation chunk. */
export const TextGenerationChunk = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text-delta'), text: z.string() }),
  z.object({ type: z.literal('finish'), finishReason: FinishReason, usage: Usage }),
]);
/** One streamed chunk: `{ type: 'text-delta', text }`, then one `{ type: 'finish', finishReason, usage }`. */
export type TextGenerationChunk = z.infer<typeof TextGenerationChunk>;

/** Chat or prompt in, text out; streams text deltas, then one finish chunk with usage. */
export const textGeneration: TextGenerationTask = defineTask({
  name: 'text-generation',
  input: TextGenerationInput,
  output: TextGenerationOutput,
  chunk: TextGenerationChunk,
});
/** The text-generation task's type; an interface so that hovers say `Model<TextGenerationTask>`. */
export interface TextGenerationTask
  extends Task<
    'text-generation',
    typeof TextGenerationInput,
    typeof TextGenerationOutput,
    typeof TextGenerationChunk
  > {}
