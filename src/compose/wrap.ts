import { defineModel } from '../define-model.ts';
import type { Model } from '../model.ts';
import type { ChunkOf, InputOf, OutputOf, ParsedInputOf, Task } from '../tasks/task.ts';
import { commonTask, memberOptions, type TaskOf } from './members.ts';

/** What `wrap()` changes in each call; every hook is optional and may be async. */
export interface Middleware<T extends Task> {
  /** The input the model gets, from the caller's validated input (the model validates it again). */
  transformInput?: (input: ParsedInputOf<T>) => InputOf<T> | Promise<InputOf<T>>;
  /** The output the caller gets; `input` is the caller's validated input. */
  transformOutput?: (output: OutputOf<T>, input: ParsedInputOf<T>) => OutputOf<T> | Promise<OutputOf<T>>;
  /** Each stream chunk the caller gets; `input` is the caller's validated input. */
  transformChunk?: (chunk: ChunkOf<T>, input: ParsedInputOf<T>) => ChunkOf<T> | Promise<ChunkOf<T>>;
  /** Id of the wrapped model. Default `wrap:<model id>`. */
  id?: string;
  /** The task's definition; needed only for a custom task. */
  task?: T;
}

/**
 * A model that changes the input, output or stream chunks of `model` (like the AI SDK's
 * `wrapLanguageModel`): a system prompt, redaction, output post-processing, without a new provider.
 *
 * @example
 * const polite = wrap(model, {
 *   transformInput: (input) => ('prompt' in input ? { ...input, prompt: `Answer politely. ${input.prompt}` } : input),
 * });
 */
export function wrap<M extends Model>(model: M, middleware: Middleware<TaskOf<M>>): Model<TaskOf<M>>;
export function wrap<T extends Task>(model: Model<T>, middleware: Middleware<T>): Model<T> {
  const task = commonTask<T>('wrap', [['model', model]], middleware.task);
  const { transformInput, transformOutput, transformChunk } = middleware;
  const inputOf = async (input: ParsedInputOf<T>) =>
    transformInput ? await transformInput(input) : (input as InputOf<T>);

  return defineModel<T>({
    id: middleware.id ?? `wrap:${model.id}`,
    task,
    capabilities: model.capabilities,

    async run(input, context) {
      const output = await model.run(await inputOf(input), memberOptions(context));
      return transformOutput ? transformOutput(output, input) : output;
    },

    ...(task.chunk && {
      async *stream(input, context) {
        const source = model.stream(await inputOf(input), memberOptions(context));
        for await (const chunk of source) yield transformChunk ? await transformChunk(chunk, input) : chunk;
      },
    }),
  });
}
