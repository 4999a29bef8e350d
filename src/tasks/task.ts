import type * as z from 'zod/mini';
import type { BatchPlan } from './batch.ts';

/**
 * A task is data: a name plus zod schemas for its input, output and (if it streams) chunk.
 * Remote and local implementations validate against the same schemas, so their outputs are
 * interchangeable by construction.
 */
export interface Task<
  Name extends string = string,
  Input extends z.core.$ZodType = z.core.$ZodType,
  Output extends z.core.$ZodType = z.core.$ZodType,
  Chunk extends z.core.$ZodType | undefined = z.core.$ZodType | undefined,
> {
  readonly name: Name;
  readonly input: Input;
  readonly output: Output;
  /** Present for tasks that stream. */
  readonly chunk: Chunk;
  /** Present for tasks whose requests can share one run (classification rows, embedding texts). */
  readonly batch?: BatchPlan<z.output<Input>, z.output<Output>> | undefined;
  /**
   * Present for tasks whose outputs are checked against their input after the model ran (text
   * generation: tool-call arguments and json answers against their schemas). Every model applies
   * it, so hosted, local and user-defined models are held to the same rules.
   */
  readonly check?:
    | TaskCheck<z.output<Input>, z.output<Output>, Chunk extends z.core.$ZodType ? z.output<Chunk> : never>
    | undefined;
}

/** The checks of a task's outputs against its input (see `Task.check`); each returns what the caller gets. */
export interface TaskCheck<Input, Output, Chunk> {
  /**
   * The output of a run as the caller gets it, or a typed error (InvalidOutputError) when it breaks the
   * input's rules; a promise where the check loads its code first (text generation's JSON Schema validator).
   */
  output(input: Input, output: Output): Output | Promise<Output>;
  /** A stream's chunks as the caller gets them, each checked as it passes. */
  stream(input: Input, chunks: AsyncIterable<Chunk>): AsyncIterable<Chunk>;
}

/** What a caller passes to `run()` / `stream()` (defaults may be omitted). */
export type InputOf<T extends Task> = z.input<T['input']>;
/** The input after validation and defaults: what implementations receive. */
export type ParsedInputOf<T extends Task> = z.output<T['input']>;
/** What `run()` resolves to for a task. */
export type OutputOf<T extends Task> = z.output<T['output']>;
/** What `stream()` yields for a task (`never` for tasks that do not stream). */
export type ChunkOf<T extends Task> = T['chunk'] extends z.core.$ZodType ? z.output<T['chunk']> : never;

/** Declare a task from its name and schemas; the result is frozen. */
export function defineTask<
  const Name extends string,
  Input extends z.core.$ZodType,
  Output extends z.core.$ZodType,
  Chunk extends z.core.$ZodType | undefined = undefined,
>(task: {
  name: Name;
  input: Input;
  output: Output;
  chunk?: Chunk;
  batch?: BatchPlan<z.output<Input>, z.output<Output>>;
  check?: TaskCheck<
    z.output<Input>,
    z.output<Output>,
    Chunk extends z.core.$ZodType ? z.output<Chunk> : never
  >;
}): Task<Name, Input, Output, Chunk> {
  return Object.freeze({ ...task, chunk: task.chunk as Chunk });
}
