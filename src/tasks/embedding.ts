import { z } from 'zod';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Ask for shorter vectors where the model supports it (OpenAI text-embedding-3, Matryoshka models). */
const dimensions = z.number().int().positive().optional();

/** Schema of an embedding call: `{ texts }` or `{ tokens }`, with optional `dimensions`. */
export const EmbeddingInput = z.union([
  z.strictObject({ texts: z.array(z.string()).min(1), dimensions }),
  /**
   * Token ids already made with the model's tokenizer, one array per input (OpenAI's API accepts
   * them too); only models with `capabilities.tokenInput` take them.
   */
  z.strictObject({
    tokens: z.array(z.array(z.number().int().nonnegative()).min(1)).min(1),
    dimensions,
  }),
]);
/** What an embedding call takes: `{ texts }` or `{ tokens }`, with optional `dimensions`. */
export type EmbeddingInput = z.input<typeof EmbeddingInput>;

/** Schema of an embedding result. */
export const EmbeddingOutput = z.object({
  /** One vector per input text (or token-id array), in input order. */
  // Any backing buffer (views into a batch output, SharedArrayBuffer), not only ArrayBuffer.
  embeddings: z.array(
    z.custom<Float32Array<ArrayBufferLike>>(
      (value) => value instanceof Float32Array,
      'expected a Float32Array',
    ),
  ),
  dimensions: z.number().int().positive(),
  usage: Usage,
});
/** An embedding result: one Float32Array per input, their `dimensions`, and usage. */
export type EmbeddingOutput = z.infer<typeof EmbeddingOutput>;

/** Texts (or token ids) in, one Float32Array vector per input out. */
export const embedding: EmbeddingTask = defineTask({
  name: 'embedding',
  input: EmbeddingInput,
  output: EmbeddingOutput,
});
/** The embedding task's type; an interface so that hovers say `Model<EmbeddingTask>`. */
export interface EmbeddingTask
  extends Task<'embedding', typeof EmbeddingInput, typeof EmbeddingOutput, undefined> {}
