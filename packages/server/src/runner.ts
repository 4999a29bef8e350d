import {
  type BatchPlan,
  type ChunkOf,
  type Model,
  OverloadedError,
  parseInput,
  raceAbort,
  type Task,
  type TaskName,
  tasks,
  type Usage,
} from '@mlkit/core';
import { Batcher } from './batcher.ts';
import type { ServerMetrics } from './metrics.ts';
import { type Release, Slots } from './slots.ts';

export interface RunnerOptions {
  maxConcurrency: number;
  maxQueue: number;
  batching: { windowMs: number; maxBatch: number } | false;
  metrics: ServerMetrics;
  onBatch?: (requests: number, items: number) => void;
  /** Applied to every validated input before it queues (media URLs checked and fetched: media-urls.ts). */
  prepare?: (task: string, input: unknown, local: boolean, signal: AbortSignal) => unknown;
}

/** A stream that holds its model slot until it ends or `close()` is called. */
export interface OpenStream<C> extends AsyncIterable<C> {
  /** Release the slot and stop the model's stream; idempotent. */
  close(): Promise<void>;
}

/**
 * One served model: validates input before it queues, admits or refuses (429) by queue depth,
 * runs at most `maxConcurrency` calls at once, and batches where the task and model allow it.
 */
export class ModelRunner {
  readonly name: string;
  readonly model: Model;
  readonly maxQueue: number;
  readonly #slots: Slots;
  readonly #batcher: Batcher<unknown, unknown> | undefined;
  readonly #plan: BatchPlan<unknown, unknown> | undefined;
  readonly #metrics: ServerMetrics;
  readonly #prepare: RunnerOptions['prepare'];
  #waiting = 0;
  /** Moving average of run time, for the Retry-After estimate. */
  #averageRunMs = 50;

  constructor(name: string, model: Model, options: RunnerOptions) {
    this.name = name;
    this.model = model;
    this.maxQueue = options.maxQueue;
    this.#metrics = options.metrics;
    this.#prepare = options.prepare;
    this.#slots = new Slots(options.maxConcurrency);
    // A task that batches declares its plan beside its schemas (src/tasks/).
    const plan = (tasks[model.task as TaskName] as Task | undefined)?.batch as
      | BatchPlan<unknown, unknown>
      | undefined;
    // Batching helps only a model that runs many items in one call; others would just loop.
    if (plan && options.batching && model.capabilities.batching) {
      const maxBatch = Math.min(
        options.batching.maxBatch,
        model.capabilities.maxBatch ?? Number.POSITIVE_INFINITY,
      );
      this.#plan = plan;
      this.#batcher = new Batcher({
        plan,
        windowMs: options.batching.windowMs,
        maxBatch,
        acquire: (signal) => this.#slots.acquire(signal),
        run: (input, signal) => this.#call(input, signal),
        onBatch: (requests, items) => {
          this.#metrics.batchRequests.observe({ model: name }, requests);
          this.#metrics.batchItems.observe({ model: name }, items);
          options.onBatch?.(requests, items);
        },
      });
    }
  }

  /** Requests admitted but not yet running. */
  get queueDepth(): number {
    return this.#waiting + (this.#batcher?.pending ?? 0);
  }

  /** Calls running now (a stream counts until its end). */
  get running(): number {
    return this.#slots.running;
  }

  get task(): string {
    return this.model.task;
  }

  /** Validate, wait for a turn (or join a batch), run; the signal cancels at any point. */
  async run<O = unknown>(input: unknown, signal: AbortSignal): Promise<O> {
    try {
      return await this.#run<O>(input, signal);
    } catch (error) {
      throw this.#named(error);
    }
  }

  async #run<O>(input: unknown, signal: AbortSignal): Promise<O> {
    const prepared = this.#prepared(this.#parse(input), signal);
    // Awaited only when there is something to wait for: admission stays in the caller's tick otherwise.
    const parsed = prepared instanceof Promise ? await prepared : prepared;
    this.#admit();
    const key = this.#plan?.key(parsed);
    if (this.#batcher && key !== undefined) return (await this.#batcher.submit(parsed, key, signal)) as O;
    const release = await this.#wait(signal);
    const call = this.#call(parsed, signal);
    // The slot is held until the model really stops, but the caller gets its 504 or 499 at once,
    // even from a model that ignores its signal.
    call.then(release, release);
    return (await raceAbort(call, signal)) as O;
  }

  /**
   * Validate, wait for a turn, start the model's stream and read its first chunk, so that errors
   * before any output become an HTTP status rather than an event inside a 200 stream.
   */
  async stream<T extends Task = Task>(input: unknown, signal: AbortSignal): Promise<OpenStream<ChunkOf<T>>> {
    const prepared = this.#prepared(this.#parse(input), signal);
    // Awaited only when there is something to wait for: admission stays in the caller's tick otherwise.
    const parsed = prepared instanceof Promise ? await prepared : prepared;
    this.#admit();
    const release = await this.#wait(signal);
    const started = performance.now();
    let iterator: AsyncIterator<ChunkOf<T>>;
    let first: IteratorResult<ChunkOf<T>>;
    try {
      iterator = (this.model.stream(parsed, { signal }) as AsyncIterable<ChunkOf<T>>)[Symbol.asyncIterator]();
      first = await iterator.next();
    } catch (error) {
      release();
      throw this.#named(error);
    }
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      release();
      this.#observeRunTime(performance.now() - started);
      await iterator.return?.();
    };
    const countUsage = (usage: Usage) => this.#countUsage(usage);
    return {
      close,
      async *[Symbol.asyncIterator]() {
        try {
          for (let result = first; !result.done; result = await raceAbort(iterator.next(), signal)) {
            const chunk = result.value as { type?: string; usage?: Usage };
            if (chunk.type === 'finish' && chunk.usage) countUsage(chunk.usage);
            yield result.value;
          }
        } finally {
          await close();
        }
      },
    };
  }

  /**
   * A model's errors name it by its id, which can hold a path or an internal URL of the server
   * ('onnx:/srv/models/vits', 'oip:http://triton:8000/iris'): clients read the served name instead.
   */
  #named(error: unknown): unknown {
    if (!(error instanceof Error)) return error;
    const id = this.model.id;
    const location = id.slice(id.indexOf(':') + 1);
    for (const text of location.includes('/') ? [id, location] : [id]) {
      if (text !== this.name && error.message.includes(text))
        error.message = error.message.split(text).join(this.name);
    }
    return error;
  }

  #parse(input: unknown): unknown {
    const task = tasks[this.model.task as TaskName];
    return task ? parseInput(task.input, input) : input;
  }

  #prepared(parsed: unknown, signal: AbortSignal): unknown {
    return this.#prepare
      ? this.#prepare(this.model.task, parsed, this.model.capabilities.local !== false, signal)
      : parsed;
  }

  #admit(): void {
    const wouldWait = this.#slots.running >= this.#slots.concurrency;
    if (!wouldWait || this.queueDepth < this.maxQueue) return;
    const concurrency = this.#slots.concurrency;
    const retryAfterMs = Math.min(
      60_000,
      Math.max(1, this.#averageRunMs * (this.queueDepth / concurrency + 1)),
    );
    throw new OverloadedError(
      `Model "${this.name}" is busy: ${this.queueDepth} requests wait for ${concurrency} slot(s) (queue limit ${this.maxQueue}); retry in ${Math.ceil(retryAfterMs)} ms`,
      { retryAfterMs },
    );
  }

  async #wait(signal: AbortSignal): Promise<Release> {
    this.#waiting++;
    try {
      return await this.#slots.acquire(signal);
    } finally {
      this.#waiting--;
    }
  }

  async #call(input: unknown, signal: AbortSignal): Promise<unknown> {
    const started = performance.now();
    const output = (await this.model.run(input, { signal })) as { usage?: Usage };
    this.#observeRunTime(performance.now() - started);
    if (output?.usage) this.#countUsage(output.usage);
    return output;
  }

  #observeRunTime(ms: number): void {
    this.#averageRunMs = 0.8 * this.#averageRunMs + 0.2 * ms;
  }

  #countUsage(usage: Usage): void {
    if (usage.inputTokens) this.#metrics.inputTokens.inc({ model: this.name }, usage.inputTokens);
    if (usage.outputTokens) this.#metrics.outputTokens.inc({ model: this.name }, usage.outputTokens);
  }
}
