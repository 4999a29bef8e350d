import * as z from 'zod/mini';
import { type BatchPlan, characters, shareUsage, sliceEach } from './batch.ts';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Ask for shorter vectors where the model supports it (OpenAI text-embedding-3, Matryoshka models). */
const dimensions = z.optional(z.int().check(z.positive()));

/** Schema of an embedding call: `{ texts }` or `{ tokens }`, with optional `dimensions`. */
export const EmbeddingInput = z.union([
  z.strictObject({ texts: z.array(z.string()).check(z.minLength(1)), dimensions }),
  /**
   * Token ids already made with the model's tokenizer, one array per input (OpenAI's API accepts
   * them too); only models with `capabilities.tokenInput` take them.
   */
  z.strictObject({
    tokens: z.array(z.array(z.int().check(z.nonnegative())).check(z.minLength(1))).check(z.minLength(1)),
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
  dimensions: z.int().check(z.positive()),
  usage: Usage,
});
/** An embedding result: one Float32Array per input, their `dimensions`, and usage. */
export type EmbeddingOutput = z.infer<typeof EmbeddingOutput>;

type ParsedInput = z.output<typeof EmbeddingInput>;
const itemsOf = (input: ParsedInput) => ('texts' in input ? input.texts : input.tokens);

/** Texts with texts, token ids with token ids, asking for the same `dimensions`; one vector per item. */
const batch: BatchPlan<ParsedInput, EmbeddingOutput> = {
  key: (input) => `${'texts' in input ? 'texts' : 'tokens'}:dimensions:${input.dimensions ?? 'default'}`,
  size: (input) => itemsOf(input).length,
  merge: (inputs) => ({
    ...('texts' in inputs[0]!
      ? { texts: inputs.flatMap((input) => (input as { texts: string[] }).texts) }
      : { tokens: inputs.flatMap((input) => (input as { tokens: number[][] }).tokens) }),
    ...(inputs[0]!.dimensions === undefined ? {} : { dimensions: inputs[0]!.dimensions }),
  }),
  split(output, inputs) {
    const usages = shareUsage(
      output.usage,
      inputs.map((input) =>
        'texts' in input ? characters(input.texts) : input.tokens.reduce((sum, ids) => sum + ids.length, 0),
      ),
    );
    return sliceEach(
      output.embeddings,
      inputs.map((input) => itemsOf(input).length),
      'embeddings',
    ).map((embeddings, i) => ({ embeddings, dimensions: output.dimensions, usage: usages[i]! }));
  },
};

/** Texts (or token ids) in, one Float32Array vector per input out; concurrent calls can share a run. */
export const embedding: EmbeddingTask = defineTask({
  name: 'embedding',
  input: EmbeddingInput,
  output: EmbeddingOutput,
  batch,
});
/** The embedding task's type; an interface so that hovers say `Model<EmbeddingTask>`. */
export interface EmbeddingTask
  extends Task<'embedding', typeof EmbeddingInput, typeof EmbeddingOutput, undefined> {}
