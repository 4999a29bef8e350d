import { type CallContext, defineModel } from '../define-model.ts';
import { type ErrorCode, isMlkitError, OverloadedError } from '../errors.ts';
import { isConnectionError } from '../http/retry.ts';
import type { Model } from '../model.ts';
import type { ChunkOf, InputOf, Task } from '../tasks/task.ts';
import { Circuit, type CircuitOptions, checkCircuitOptions } from './circuit.ts';
import { commonTask, type Member, memberOptions, sharedCapabilities, type TaskOf } from './members.ts';

/** What `onFallback` hears when one model failed and the next one is tried. */
export interface FallbackInfo {
  /** Id of the model that failed. */
  from: string;
  /** Id of the model tried next. */
  to: string;
  /** Why `from` failed. */
  error: unknown;
}

/** Options of `fallback()`: when to fall back, who hears of it, and the circuit breaker. */
export interface FallbackOptions<T extends Task = Task> {
  /** Whether the next model may try after this error. Default: `defaultShouldFallback`. */
  shouldFallback?: (error: unknown) => boolean;
  /** Called before each next model is tried (a `fallback` event is also sent to `onEvent` listeners). */
  onFallback?: (info: FallbackInfo) => void;
  /** Id of the composite model. Default `fallback:<id>,<id>,...`. */
  id?: string;
  /** The task's definition; needed only for a custom task (built-in tasks are found by name). */
  task?: T;
  /**
   * Skip a member after `failureThreshold` failures in a row, for `cooldownMs`; then one call probes it
   * (half-open) and a success closes the circuit again. A connection error (refused, reset: the member
   * is down) opens the circuit after the first failure, so later calls spend no retries on it. Events:
   * circuit-open, circuit-skip, circuit-half-open, circuit-close.
   */
  circuit?: CircuitOptions;
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
 * - With `circuit`, a model that failed `failureThreshold` times in a row is skipped for `cooldownMs`,
 *   then probed by one call; one whose connection was refused or reset is skipped after its first
 *   failure. When every circuit is open the call fails fast with OverloadedError.
 * - Capabilities: `streaming`/`batching` only if every model has them; `local`/`device` of the first.
 * - The composite does not own its models (they may be shared): `dispose()` disposes only the
 *   composite; dispose the members yourself.
 *
 * @example
 * const model = fallback([openai.textGeneration('gpt-4o-mini'), await loadModel('./models/smollm')], {
 *   onFallback: ({ from, to, error }) => console.warn(`${from} failed (${error}); trying ${to}`),
 * });
 */
export function fallback<M extends Model>(
  models: readonly M[],
  options?: FallbackOptions<TaskOf<M>>,
): Model<TaskOf<M>>;
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
  const head = list[0]!;
  const id = options.id ?? `fallback:${list.map((model) => model.id).join(',')}`;
  const shouldFallback = options.shouldFallback ?? defaultShouldFallback;
  if (options.circuit) checkCircuitOptions(options.circuit);
  const circuits = options.circuit
    ? list.map((model, index) => new Circuit(options.circuit!, id, `models[${index}] ${model.id}`))
    : undefined;

  /** The first member from `start` whose circuit lets this call through (every one without a breaker). */
  function available(start: number, context: CallContext): number | undefined {
    for (let index = start; index < list.length; index++) {
      if (!circuits || circuits[index]!.allow(context.emit)) return index;
    }
    return undefined;
  }

  /** A member answered (a stream: its first chunk arrived). */
  function succeeded(index: number, context: CallContext): void {
    circuits?.[index]?.succeeded(context.emit);
  }

  /** The member at `index` failed; the caller's abort or invalid input is not the member's fault. */
  function failed(index: number, error: unknown, context: CallContext): void {
    if (circuits && !context.signal.aborted && defaultShouldFallback(error))
      circuits[index]!.failed(context.emit, isConnectionError(error) ? 'connection' : 'other');
  }

  /**
   * After `list[index]` failed with `error`: throw when the chain ends here, else announce the next
   * model and return its index.
   */
  function next(index: number, error: unknown, errors: unknown[], context: CallContext): number {
    errors.push(error);
    failed(index, error, context);
    // An abort or the composite's deadline ends the chain; defineModel turns it into the typed error.
    if (context.signal.aborted) throw error;
    const following = shouldFallback(error) ? available(index + 1, context) : undefined;
    if (following === undefined) throw withErrors(error, errors);
    const from = list[index]!.id;
    const to = list[following]!.id;
    const reason = (error as { message?: unknown }).message;
    context.emit({ type: 'fallback', modelId: id, from, to, reason: String(reason ?? error) });
    options.onFallback?.({ from, to, error });
    return following;
  }

  /** The first member to try; throws OverloadedError when every circuit is open. */
  function first(context: CallContext): number {
    const index = available(0, context);
    if (index !== undefined) return index;
    const retryAfterMs = Math.min(...circuits!.map((circuit) => circuit.retryInMs()));
    throw new OverloadedError(
      `${id}: every model's circuit is open after repeated failures; retry in ${retryAfterMs} ms`,
      { retryAfterMs },
    );
  }

  return defineModel<T>({
    id,
    task,
    capabilities: {
      ...sharedCapabilities(list),
      local: head.capabilities.local,
      ...(head.capabilities.device === undefined ? {} : { device: head.capabilities.device }),
    },

    async run(input, context) {
      const memberInput = input as InputOf<T>;
      const callOptions = memberOptions(context);
      const errors: unknown[] = [];
      for (let index = first(context); ; ) {
        try {
          const output = await list[index]!.run(memberInput, callOptions);
          succeeded(index, context);
          return output;
        } catch (error) {
          index = next(index, error, errors, context);
        }
      }
    },

    ...(task.chunk && {
      async *stream(input, context) {
        const memberInput = input as InputOf<T>;
        const callOptions = memberOptions(context);
        const errors: unknown[] = [];
        for (let index = first(context); ; ) {
          let iterator: AsyncIterator<ChunkOf<T>>;
          let firstChunk: IteratorResult<ChunkOf<T>>;
          try {
            iterator = list[index]!.stream(memberInput, callOptions)[Symbol.asyncIterator]();
            firstChunk = await iterator.next();
          } catch (error) {
            index = next(index, error, errors, context);
            continue;
          }
          succeeded(index, context);
          // The first chunk reaches the caller: this model's stream is the answer now, errors included.
          try {
            yield* rest(iterator, firstChunk);
          } catch (error) {
            failed(index, error, context);
            throw error;
          }
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
