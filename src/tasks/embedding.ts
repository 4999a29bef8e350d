import { z } from 'zod';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

export const EmbeddingInput = z.strictObject({
  texts: z.array(z.string()).min(1),
  /** Ask for shorter vectors where the model supports it (OpenAI text-embedding-3, Matryoshka models). */
  dimensions: z.number().int().positive().optional(),
});
export type EmbeddingInput = z.input<typeof EmbeddingInput>;

export const EmbeddingOutput = z.object({
  /** One vector per input text, in input order. */
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
export type EmbeddingOutput = z.infer<typeof EmbeddingOutput>;

/** Texts in, one Float32Array vector per text out. */
export const embedding: EmbeddingTask = defineTask({
  name: 'embedding',
  input: EmbeddingInput,
  output: EmbeddingOutput,
});
/** The embedding task's type; an interface so that hovers say `Model<EmbeddingTask>`. */
export interface EmbeddingTask
  extends Task<'embedding', typeof EmbeddingInput, typeof EmbeddingOutput, undefined> {}
