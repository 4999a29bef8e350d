import { abortErrorOf } from '@mlkit/core';

export interface BatcherOptions<I, O> {
  /** How long the first waiting request waits for company, in ms (0: until the current task ends). */
  windowMs: number;
  /** Most items per run; larger requests are cut into runs of this size. */
  maxBatch: number;
  /** Run items from one or more requests together; returns one output per item, in order. */
  runBatch(items: I[]): Promise<O[]>;
}

interface Part<I, O> {
  items: I[];
  resolve(outputs: O[]): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  onAbort?: () => void;
}

/**
 * Micro-batching: concurrent small requests are packed into one run of up to `maxBatch` items and the
 * outputs split back. The first request of a batch waits at most `windowMs`; requests that arrive while
 * a batch runs wait for it to finish and go together in the next one. Requests are never split across
 * runs unless they alone exceed `maxBatch`, and a request aborted while waiting leaves the line.
 */
export class MicroBatcher<I, O> {
  readonly #options: BatcherOptions<I, O>;
  readonly #pending: Part<I, O>[] = [];
  #pendingItems = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due = false;
  #scheduled = false;
  #inFlight = false;
  /** Runs started so far (for tests and metrics). */
  runs = 0;

  constructor(options: BatcherOptions<I, O>) {
    this.#options = options;
  }

  /** Queue `items`; resolves with their outputs, in order. */
  async add(items: I[], signal?: AbortSignal): Promise<O[]> {
    if (signal?.aborted) throw abortErrorOf(signal);
    const { maxBatch } = this.#options;
    if (items.length <= maxBatch) return this.#addPart(items, signal);
    const parts: Promise<O[]>[] = [];
    for (let start = 0; start < items.length; start += maxBatch) {
      parts.push(this.#addPart(items.slice(start, start + maxBatch), signal));
    }
    return (await Promise.all(parts)).flat();
  }

  #addPart(items: I[], signal: AbortSignal | undefined): Promise<O[]> {
    return new Promise<O[]>((resolve, reject) => {
      const part: Part<I, O> = { items, resolve, reject, signal };
      if (signal) {
        part.onAbort = () => {
          const index = this.#pending.indexOf(part);
          if (index >= 0) {
            this.#pending.splice(index, 1);
            this.#pendingItems -= part.items.length;
          }
          reject(abortErrorOf(signal));
        };
        signal.addEventListener('abort', part.onAbort, { once: true });
      }
      this.#pending.push(part);
      this.#pendingItems += items.length;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#pendingItems >= this.#options.maxBatch) {
      this.#markDue();
      return;
    }
    if (this.#due || this.#timer || this.#scheduled) return;
    if (this.#options.windowMs > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#markDue();
      }, this.#options.windowMs);
    } else {
      // Same-tick callers (Promise.all over many calls) still share one run.
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#markDue();
      });
    }
  }

  #markDue(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#due = true;
    this.#dispatch();
  }

  #dispatch(): void {
    if (!this.#due || this.#inFlight || this.#pending.length === 0) {
      if (this.#pending.length === 0) this.#due = false;
      return;
    }
    const batch: Part<I, O>[] = [];
    let count = 0;
    while (this.#pending.length > 0) {
      const next = this.#pending[0]!;
      if (batch.length > 0 && count + next.items.length > this.#options.maxBatch) break;
      this.#pending.shift();
      batch.push(next);
      count += next.items.length;
    }
    this.#pendingItems -= count;
    // What is left has waited already: it goes as soon as this run ends.
    this.#due = this.#pending.length > 0;
    this.#inFlight = true;
    this.runs++;
    void this.#run(batch).finally(() => {
      this.#inFlight = false;
      if (this.#pending.length > 0 && !this.#due) this.#schedule();
      this.#dispatch();
    });
  }

  async #run(batch: Part<I, O>[]): Promise<void> {
    // Aborted callers are released at once (their listener stays on while the run goes); the run is not stopped.
    const live = batch.filter((part) => !part.signal?.aborted);
    if (live.length === 0) return;
    const items = live.length === 1 ? live[0]!.items : live.flatMap((part) => part.items);
    try {
      const outputs = await this.#options.runBatch(items);
      let offset = 0;
      for (const part of live) {
        part.resolve(outputs.slice(offset, offset + part.items.length));
        offset += part.items.length;
      }
    } catch (error) {
      for (const part of live) part.reject(error);
    } finally {
      for (const part of live) if (part.onAbort) part.signal!.removeEventListener('abort', part.onAbort);
    }
  }
}
