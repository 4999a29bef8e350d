import { type CallContext, defineModel } from '../define-model.ts';
import { type ErrorCode, isMlkitError } from '../errors.ts';
import type { Model } from '../model.ts';
import type { ChunkOf, InputOf, Task } from '../tasks/task.ts';
import { commonTask, type Member, memberOptions, sharedCapabilities } from './members.ts';

/** What `onFallback` hears when one model failed and the next one is tried. */
export interface FallbackInfo {
  /** Id of the model that failed. */
  from: string;
  /** Id of the model tried next. */
  to: string;
  /** Why `from` failed. */
  error: unknown;
}

export interface FallbackOptions<T extends Task = Task> {
  /** Whether the next model may try after this error. Default: `defaultShouldFallback`. */
  shouldFallback?: (error: unknown) => boolean;
  /** Called before each next model is tried (a `fallback` event is also sent to `onEvent` listeners). */
  onFallback?: (info: FallbackInfo) => void;
  /** Id of the composite model. Default `fallback:<id>,<id>,...`. */
  id?: string;
  /** The task's definition; needed only for a custom task (built-in tasks are found by name). */
  task?: T;
}

// Errors that every model would repeat (the input is wrong) or that the caller asked for (abort).
const FINAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['invalid_input', 'abort']);

/**
 * The default `shouldFallback`: every error except InvalidInputError (the next model would reject the
 * input too) and AbortError. Rate limits, overload, 5xx, network errors, per-attempt timeouts, bad
 * responses, rejected keys, unloadable or unsupported models all mean "this backend cannot answer now".
 */
export function defaultShouldFallback(error: unknown): boolean {
  return !(isMlkitError(error) && FINAL.has(error.code));
}

/**
 * A model that tries `models` in order until one answers: e.g. a hosted model first, a local one when
 * the API is down or rate-limited.
 *
 * - Input is validated once, before any model is called; invalid input never falls back.
 * - The caller's `signal` and `timeoutMs` cover the whole chain: an abort or the deadline stops it.
 * - `stream()` falls back only before the first chunk has reached the caller; an error after it is
 *   thrown from the iterator as is (the caller never gets a second, duplicated answer).
 * - When every model fails, the last error is thrown with its own class (`instanceof RateLimitError`
 *   still works) and an `errors` property listing every model's error, first to last.
 * - Capabilities: `streaming`/`batching` only if every model has them; `local`/`device` of the first.
 * - The composite does not own its models (they may be shared): `dispose()` disposes only the
 *   composite; dispose the members yourself.
 *
 * @example
 * const model = fallback([openai.textGeneration('gpt-4o-mini'), await loadModel('./models/smollm')], {
 *   onFallback: ({ from, to, error }) => console.warn(`${from} failed (${error}); trying ${to}`),
 * });
 */
export function fallback<T extends Task>(
  models: readonly Model<T>[],
  options: FallbackOptions<T> = {},
): Model<T> {
  const list = [...models];
  const task = commonTask<T>(
    'fallback',
    list.map((model, index): Member<T> => [`models[${index}]`, model]),
    options.task,
  );
  const first = list[0]!;
  const id = options.id ?? `fallback:${list.map((model) => model.id).join(',')}`;
  const shouldFallback = options.shouldFallback ?? defaultShouldFallback;

  /** After `list[index]` failed with `error`: throw when the chain ends here, else announce the next model. */
  function next(index: number, error: unknown, errors: unknown[], context: CallContext): void {
    errors.push(error);
    const following = list[index + 1];
    // An abort or the composite's deadline ends the chain; defineModel turns it into the typed error.
    if (context.signal.aborted) throw error;
    if (!following || !shouldFallback(error)) throw withErrors(error, errors);
    const from = list[index]!.id;
    const to = following.id;
    const reason = (error as { message?: unknown }).message;
    context.emit({ type: 'fallback', modelId: id, from, to, reason: String(reason ?? error) });
    options.onFallback?.({ from, to, error });
  }

  return defineModel<T>({
    id,
    task,
    capabilities: {
      ...sharedCapabilities(list),
      local: first.capabilities.local,
      ...(first.capabilities.device === undefined ? {} : { device: first.capabilities.device }),
    },

    async run(input, context) {
      const memberInput = input as InputOf<T>;
      const callOptions = memberOptions(context);
      const errors: unknown[] = [];
      for (let index = 0; ; index++) {
        try {
          return await list[index]!.run(memberInput, callOptions);
        } catch (error) {
          next(index, error, errors, context);
        }
      }
    },

    ...(task.chunk && {
      async *stream(input, context) {
        const memberInput = input as InputOf<T>;
        const callOptions = memberOptions(context);
        const errors: unknown[] = [];
        for (let index = 0; ; index++) {
          let iterator: AsyncIterator<ChunkOf<T>>;
          let firstChunk: IteratorResult<ChunkOf<T>>;
          try {
            iterator = list[index]!.stream(memberInput, callOptions)[Symbol.asyncIterator]();
            firstChunk = await iterator.next();
          } catch (error) {
            next(index, error, errors, context);
            continue;
          }
          // The first chunk reaches the caller: this model's stream is the answer now, errors included.
          yield* rest(iterator, firstChunk);
          return;
        }
      },
    }),
  });
}

/** The rest of a stream whose first result was already read; closes it when the caller stops early. */
async function* rest<C>(iterator: AsyncIterator<C>, first: IteratorResult<C>): AsyncGenerator<C> {
  let open = !first.done;
  try {
    if (first.done) return;
    yield first.value;
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) yield step.value;
    open = false;
  } finally {
    if (open) await iterator.return?.();
  }
}

/** `error` with every model's error attached as `errors` (when more than one model was tried). */
function withErrors(error: unknown, errors: unknown[]): unknown {
  if (errors.length > 1 && typeof error === 'object' && error !== null && Object.isExtensible(error)) {
    Object.defineProperty(error, 'errors', { value: errors, configurable: true, writable: true });
  }
  return error;
}
