import QuickLRU from 'quick-lru';
import { raceAbort, throwIfAborted } from '../abort.ts';
import { defineModel } from '../define-model.ts';
import { InvalidInputError } from '../errors.ts';
import type { Model } from '../model.ts';
import { isZodSchema, toJsonSchema } from '../tasks/json-schema.ts';
import type { ChunkOf, InputOf, OutputOf, ParsedInputOf, Task } from '../tasks/task.ts';
import { commonTask, memberOptions, type TaskOf } from './members.ts';

/** What `cache()` keeps per key: a run's output, or every chunk of a stream. */
export type CacheEntry<T extends Task = Task> =
  | { kind: 'run'; output: OutputOf<T> }
  | { kind: 'stream'; chunks: ChunkOf<T>[] };

/**
 * Where `cache()` keeps answers: any async key-value store (Redis, a KV namespace, a Map). Values hold
 * typed arrays (embeddings, tensors); a store outside the process serializes them itself.
 */
export interface CacheStore {
  /** The value kept under `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<unknown> | unknown;
  /** Keep `value` under `key`, for `ttlMs` milliseconds when given. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void> | void;
}

/** Options of `cache()`: where answers are kept, for how long, and which calls may be cached. */
export interface CacheOptions<T extends Task = Task> {
  /** Where answers are kept. Default: an in-memory LRU of `maxEntries` entries. */
  store?: CacheStore;
  /** How long an answer stays valid, in milliseconds. Default: until evicted. */
  ttlMs?: number;
  /** Entries of the default in-memory store. Default 1000. */
  maxEntries?: number;
  /**
   * Whether a call may be answered from the cache. Default: text generation only with `temperature: 0`
   * or a `seed` (other sampling would give another answer); every other task always.
   */
  isDeterministic?: (input: ParsedInputOf<T>) => boolean;
  /** Id of the composite model. Default `cache:<model id>`. */
  id?: string;
  /** The task's definition; needed only for a custom task. */
  task?: T;
}

/** The default store: quick-lru in memory; values are copied in and out so callers cannot change them. */
export function memoryStore(options: { maxEntries?: number; ttlMs?: number } = {}): CacheStore {
  const lru = new QuickLRU<string, unknown>({
    maxSize: options.maxEntries ?? 1000,
    ...(options.ttlMs === undefined ? {} : { maxAge: options.ttlMs }),
  });
  return {
    get: (key) => {
      const value = lru.get(key);
      return value === undefined ? undefined : structuredClone(value);
    },
    set: (key, value, ttlMs) => {
      lru.set(key, structuredClone(value), ttlMs === undefined ? undefined : { maxAge: ttlMs });
    },
  };
}

/** The default `isDeterministic`: sampled text generation is not; everything else is. */
function deterministicByDefault(taskName: string, input: unknown): boolean {
  if (taskName !== 'text-generation') return true;
  const { temperature, seed } = input as { temperature?: number; seed?: number };
  return temperature === 0 || seed !== undefined;
}

/**
 * JSON of `value` that is the same for equal values: object keys sorted, typed arrays tagged with their
 * type and written element by element, bigints as strings, `undefined` members left out, `toJSON()`
 * used where a value has one (Dates), zod schemas (tool parameters, a response schema) as their JSON Schema.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (isZodSchema(value)) return canonicalJson(toJsonSchema(value));
  if (typeof value === 'bigint') return JSON.stringify(`${value}n`);
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (value instanceof ArrayBuffer) return `{"$ArrayBuffer":${canonicalJson(new Uint8Array(value))}}`;
  if (ArrayBuffer.isView(value)) {
    const items = Array.from(value as unknown as ArrayLike<number | bigint>, (item) => String(item));
    return `{"$${value.constructor.name}":[${items.join(',')}]}`;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  // As JSON.stringify does: a Date (e.g. from a zod transform) is its ISO text, not an empty object.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  }
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

/** A call that concurrent identical calls share. */
interface Inflight<T extends Task> {
  promise: Promise<OutputOf<T>>;
  controller: AbortController;
  /** Callers waiting for it. */
  waiting: number;
  /** Take it out of the in-flight table (a caller coming later starts a new call). */
  forget(): void;
}

/** Wait for a shared call, or leave it at once when `signal` fires (the last to leave aborts it). */
async function join<T extends Task>(shared: Inflight<T>, signal: AbortSignal): Promise<OutputOf<T>> {
  shared.waiting++;
  try {
    return await raceAbort(shared.promise, signal);
  } finally {
    shared.waiting--;
    if (shared.waiting === 0 && signal.aborted) {
      shared.forget();
      shared.controller.abort(signal.reason);
    }
  }
}

/** SHA-256 of `text` in hex (Web Crypto: the same in Node, browsers and edge runtimes). */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * A model that answers repeated deterministic calls from a store instead of calling `model` again.
 * The key is the model's id, the call kind (`run` or `stream`) and the validated input in canonical
 * form. A cached stream replays its chunks; a stream that failed or was left early is not kept.
 * Concurrent identical `run()` calls share one model call: a caller that aborts leaves it without
 * ending it for the others, and it is aborted when every caller has left. `cache-hit` /
 * `cache-miss` events go to `onEvent` listeners (joining a call under way is a hit).
 *
 * @example
 * const cached = cache(openai().embedding('text-embedding-3-small'), { ttlMs: 60 * 60_000 });
 */
export function cache<M extends Model>(model: M, options?: CacheOptions<TaskOf<M>>): Model<TaskOf<M>>;
export function cache<T extends Task>(model: Model<T>, options: CacheOptions<T> = {}): Model<T> {
  const task = commonTask<T>('cache', [['model', model]], options.task);
  if (options.ttlMs !== undefined && !(options.ttlMs > 0)) {
    throw new InvalidInputError(
      `cache: ttlMs must be a positive number of milliseconds (got ${options.ttlMs})`,
      {
        issues: [{ path: 'options.ttlMs', message: 'expected a number > 0' }],
      },
    );
  }
  const store = options.store ?? memoryStore({ ...options, maxEntries: options.maxEntries ?? 1000 });
  const isDeterministic =
    options.isDeterministic ?? ((input: ParsedInputOf<T>) => deterministicByDefault(task.name, input));
  const id = options.id ?? `cache:${model.id}`;
  const keyOf = async (kind: CacheEntry['kind'], input: unknown) =>
    `mlkit:${model.id}:${kind}:${await sha256(canonicalJson(input))}`;

  const inflight = new Map<string, Inflight<T>>();

  return defineModel<T>({
    id,
    task,
    capabilities: model.capabilities,

    async run(input, context) {
      if (!isDeterministic(input)) return model.run(input as InputOf<T>, memberOptions(context));
      const key = await keyOf('run', input);
      const hit = (await store.get(key)) as CacheEntry<T> | undefined;
      if (hit?.kind === 'run') {
        context.emit({ type: 'cache-hit', modelId: id, key });
        return hit.output;
      }
      throwIfAborted(context.signal);
      const running = inflight.get(key);
      if (running) {
        // The same call is under way: wait for its answer instead of calling the model again.
        context.emit({ type: 'cache-hit', modelId: id, key });
        return structuredClone(await join(running, context.signal));
      }
      context.emit({ type: 'cache-miss', modelId: id, key });
      // The call runs on its own signal, so that one waiting caller's abort or deadline does not end
      // it for the others; it is aborted when every caller has left.
      const { signal: _signal, timeoutMs: _timeoutMs, ...rest } = context.options;
      const controller = new AbortController();
      const shared: Inflight<T> = {
        controller,
        waiting: 0,
        forget: () => {
          if (inflight.get(key) === shared) inflight.delete(key);
        },
        promise: model
          .run(input as InputOf<T>, { ...rest, signal: controller.signal })
          .then(async (output) => {
            await store.set(key, { kind: 'run', output } satisfies CacheEntry<T>, options.ttlMs);
            return output;
          }),
      };
      inflight.set(key, shared);
      shared.promise.then(shared.forget, shared.forget);
      return join(shared, context.signal);
    },

    ...(task.chunk && {
      async *stream(input, context) {
        if (!isDeterministic(input)) {
          yield* model.stream(input as InputOf<T>, memberOptions(context));
          return;
        }
        const key = await keyOf('stream', input);
        const hit = (await store.get(key)) as CacheEntry<T> | undefined;
        if (hit?.kind === 'stream') {
          context.emit({ type: 'cache-hit', modelId: id, key });
          for (const chunk of hit.chunks) {
            throwIfAborted(context.signal);
            yield chunk;
          }
          return;
        }
        context.emit({ type: 'cache-miss', modelId: id, key });
        const chunks: ChunkOf<T>[] = [];
        for await (const chunk of model.stream(input as InputOf<T>, memberOptions(context))) {
          chunks.push(chunk);
          yield chunk;
        }
        // Reached only when the stream ended on its own: not after an error or an early break.
        await store.set(key, { kind: 'stream', chunks } satisfies CacheEntry<T>, options.ttlMs);
      },
    }),
  });
}
