import { abortErrorOf, deadline } from './abort.ts';
import { isMlkitError, UnsupportedError } from './errors.ts';
import type { Capabilities, Model, ModelEvent, RunOptions } from './model.ts';
import type { builtinTasks } from './tasks/index.ts';
import type { ChunkOf, OutputOf, ParsedInputOf, Task } from './tasks/task.ts';
import { parseInput } from './validate.ts';

/** What an implementation receives with each call. */
export interface CallContext {
  /** Fires when the caller aborts or the call's `timeoutMs` passes; its reason is the typed error. */
  readonly signal: AbortSignal;
  readonly options: RunOptions;
  /** Send an event to the caller's and the model's listeners. */
  emit(event: ModelEvent): void;
}

/** The parts a provider writes; `defineModel` adds validation, deadlines, events and lifecycle. */
export interface ModelImplementation<T extends Task> {
  id: string;
  task: T;
  capabilities: Capabilities;
  /** Run one call on validated input; `context.signal` fires on abort and timeout. */
  run(input: ParsedInputOf<T>, context: CallContext): Promise<OutputOf<T>>;
  /** Stream one call; without it, `stream()` fails with UnsupportedError (the task does not stream). */
  stream?(input: ParsedInputOf<T>, context: CallContext): AsyncIterable<ChunkOf<T>>;
  /** Release what the model holds (sessions, sockets); called once. */
  dispose?(): Promise<void> | void;
  /** Listener for every call's events (in addition to `RunOptions.onEvent`). */
  onEvent?: (event: ModelEvent) => void;
}

/**
 * The context of a call that nothing can abort. A class, not an object literal with a getter: V8
 * builds literals with accessors on a slow path, and this is made on every call.
 */
class UnabortableContext implements CallContext {
  readonly options: RunOptions;
  readonly emit: (event: ModelEvent) => void;
  #signal: AbortSignal | undefined;
  constructor(options: RunOptions, emit: (event: ModelEvent) => void) {
    this.options = options;
    this.emit = emit;
  }
  get signal(): AbortSignal {
    this.#signal ??= new AbortController().signal;
    return this.#signal;
  }
}

// One signature per task of the list, in its order (an intersection of signatures is a list of
// overloads, tried in order; the first match types the implementation's literals), then any task.
type SignaturesOf<Tasks extends readonly Task[]> = Tasks extends readonly [
  infer First extends Task,
  ...infer Rest extends readonly Task[],
]
  ? ((impl: ModelImplementation<First>) => Model<First>) & SignaturesOf<Rest>
  : <T extends Task>(impl: ModelImplementation<T>) => Model<T>;

/**
 * `defineModel`'s signatures: one per built-in task, made from the task table (`builtinTasks` in
 * src/tasks/index.ts), so a new task gets its own without an edit here. With a concrete task the
 * results are typed in context: a plain `finishReason: 'stop'` or `type: 'text-delta'` in an
 * implementation needs no `as const`. The last signature takes any task, a custom one too.
 */
export type DefineModel = SignaturesOf<typeof builtinTasks>;

/**
 * Build a Model from an implementation. Every model, hosted or local, goes through here, so every
 * model validates input before any work, honours `signal` and `timeoutMs`, rejects calls after
 * `dispose()`, and reports failures as typed mlkit errors.
 */
export const defineModel: DefineModel = function defineModel<T extends Task>(
  impl: ModelImplementation<T>,
): Model<T> {
  let disposed: Promise<void> | undefined;

  function begin(input: unknown, options: RunOptions = {}) {
    if (disposed)
      throw new UnsupportedError(`Model ${impl.id} was disposed; create a new one to run it again`);
    const parsed = parseInput(impl.task.input, input) as ParsedInputOf<T>;
    const parent = options.signal;
    if (parent?.aborted) throw abortErrorOf(parent);
    const emit = (event: ModelEvent) => {
      impl.onEvent?.(event);
      options.onEvent?.(event);
    };
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      const limit = deadline(parent, timeoutMs, 'total');
      const context: CallContext = { signal: limit.signal, options, emit };
      return { parsed, context, clear: limit.clear };
    }
    if (parent) {
      const context: CallContext = { signal: parent, options, emit };
      return { parsed, context, clear: undefined };
    }
    // No caller signal and no deadline: nothing can abort this call. Its signal still is its own (an
    // implementation may leave listeners on it), made only when the implementation asks for it.
    return { parsed, context: new UnabortableContext(options, emit), clear: undefined };
  }

  /** Whether anyone listens for this call's events (no `result` event is built otherwise). */
  function listening(options: RunOptions | undefined): boolean {
    return impl.onEvent !== undefined || options?.onEvent !== undefined;
  }

  function typed(error: unknown, signal: AbortSignal): unknown {
    if (signal.aborted && !isMlkitError(error)) return abortErrorOf(signal);
    if (signal.aborted && isMlkitError(error) && error.code === 'abort') return abortErrorOf(signal);
    return error;
  }

  return {
    specificationVersion: 1,
    id: impl.id,
    task: impl.task.name,
    capabilities: impl.capabilities,

    async run(input, options) {
      const { parsed, context, clear } = begin(input, options);
      const started = performance.now();
      try {
        const ran = await impl.run(parsed, context);
        const output = (impl.task.check ? await impl.task.check.output(parsed, ran) : ran) as OutputOf<T>;
        if (listening(options)) {
          context.emit({ type: 'result', modelId: impl.id, durationMs: performance.now() - started });
        }
        return output;
      } catch (error) {
        throw typed(error, context.signal);
      } finally {
        clear?.();
      }
    },

    stream(input, options) {
      if (!impl.stream) {
        throw new UnsupportedError(`Task ${impl.task.name} does not stream; call run() instead`);
      }
      const { parsed, context, clear } = begin(input, options);
      const produced = impl.stream(parsed, context);
      const source = (impl.task.check ? impl.task.check.stream(parsed, produced) : produced) as AsyncIterable<
        ChunkOf<T>
      >;
      const started = performance.now();
      return {
        async *[Symbol.asyncIterator]() {
          try {
            for await (const chunk of source) yield chunk;
            if (listening(options)) {
              context.emit({ type: 'result', modelId: impl.id, durationMs: performance.now() - started });
            }
          } catch (error) {
            throw typed(error, context.signal);
          } finally {
            clear?.();
          }
        },
      };
    },

    dispose() {
      disposed ??= Promise.resolve().then(() => impl.dispose?.());
      return disposed;
    },
  };
};
