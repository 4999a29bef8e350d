import { abortErrorOf, type BatchPlan, InvalidInputError } from '@mlkit/core';
import type { Release } from './slots.ts';

export interface BatcherOptions<I, O> {
  plan: BatchPlan<I, O>;
  /** How long the first request of a batch waits for company, in ms. */
  windowMs: number;
  /** Most items in one run. */
  maxBatch: number;
  /** Wait for a model slot (the batch stays open to newcomers while it waits). */
  acquire(signal: AbortSignal): Promise<Release>;
  run(input: I, signal: AbortSignal): Promise<O>;
  onBatch?(requests: number, items: number): void;
}

interface Member<I, O> {
  input: I;
  items: number;
  signal: AbortSignal;
  settled: boolean;
  resolve(output: O): void;
  reject(error: unknown): void;
  onAbort(): void;
}

interface Batch<I, O> {
  key: string;
  members: Member<I, O>[];
  items: number;
  dispatched: boolean;
  started: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Fires when every member has left: the batch stops waiting, or its run is cancelled. */
  controller: AbortController;
}

/**
 * Dynamic batching: concurrent requests with the same key within `windowMs` (or while the batch
 * waits for a free slot) become one `run`, up to `maxBatch` items; each caller gets its own slice.
 * A member that aborts leaves alone; the run is cancelled only when all have left. One invalid
 * input does not fail its neighbours: such a batch is re-run one request at a time.
 */
export class Batcher<I, O> {
  readonly #options: BatcherOptions<I, O>;
  readonly #open = new Map<string, Batch<I, O>>();
  #pending = 0;

  constructor(options: BatcherOptions<I, O>) {
    this.#options = options;
  }

  /** Requests gathered into batches that have not started running. */
  get pending(): number {
    return this.#pending;
  }

  submit(input: I, key: string, signal: AbortSignal): Promise<O> {
    const { plan, maxBatch, windowMs } = this.#options;
    if (signal.aborted) return Promise.reject(abortErrorOf(signal));
    const items = plan.size(input);
    return new Promise<O>((resolve, reject) => {
      let batch = this.#open.get(key);
      if (batch && batch.items + items > maxBatch) {
        this.#open.delete(key); // full: it runs as it is, a new batch takes the newcomer
        batch = undefined;
      }
      if (!batch) {
        const fresh: Batch<I, O> = {
          key,
          members: [],
          items: 0,
          dispatched: false,
          started: false,
          timer: undefined,
          controller: new AbortController(),
        };
        fresh.timer = setTimeout(() => void this.#dispatch(fresh), windowMs);
        this.#open.set(key, fresh);
        batch = fresh;
      }
      const target = batch;
      const member: Member<I, O> = {
        input,
        items,
        signal,
        settled: false,
        resolve,
        reject,
        onAbort: () => this.#leave(target, member),
      };
      target.members.push(member);
      target.items += items;
      this.#pending++;
      signal.addEventListener('abort', member.onAbort, { once: true });
      if (target.items >= maxBatch) {
        if (this.#open.get(key) === target) this.#open.delete(key);
        void this.#dispatch(target);
      }
    });
  }

  #settle(member: Member<I, O>, outcome: { output: O } | { error: unknown }): void {
    if (member.settled) return;
    member.settled = true;
    member.signal.removeEventListener('abort', member.onAbort);
    if ('output' in outcome) member.resolve(outcome.output);
    else member.reject(outcome.error);
  }

  #leave(batch: Batch<I, O>, member: Member<I, O>): void {
    if (member.settled) return;
    this.#settle(member, { error: abortErrorOf(member.signal) });
    if (!batch.started) {
      this.#pending--;
      batch.members.splice(batch.members.indexOf(member), 1);
      batch.items -= member.items;
    }
    if (batch.members.every((m) => m.settled)) {
      clearTimeout(batch.timer);
      if (this.#open.get(batch.key) === batch) this.#open.delete(batch.key);
      batch.controller.abort();
    }
  }

  async #dispatch(batch: Batch<I, O>): Promise<void> {
    if (batch.dispatched) return;
    batch.dispatched = true;
    clearTimeout(batch.timer);
    let release: Release;
    try {
      release = await this.#options.acquire(batch.controller.signal);
    } catch {
      return; // every member left while the batch waited
    }
    if (this.#open.get(batch.key) === batch) this.#open.delete(batch.key);
    batch.started = true;
    const live = batch.members.filter((m) => !m.settled);
    this.#pending -= live.length;
    try {
      if (live.length > 0) await this.#runBatch(batch, live);
    } finally {
      release();
    }
  }

  async #runBatch(batch: Batch<I, O>, live: Member<I, O>[]): Promise<void> {
    const { plan, run, onBatch } = this.#options;
    const inputs = live.map((m) => m.input);
    onBatch?.(
      live.length,
      live.reduce((sum, m) => sum + m.items, 0),
    );
    try {
      const output = await run(live.length === 1 ? inputs[0]! : plan.merge(inputs), batch.controller.signal);
      const outputs = live.length === 1 ? [output] : plan.split(output, inputs);
      for (const [i, member] of live.entries()) this.#settle(member, { output: outputs[i]! });
    } catch (error) {
      if (live.length > 1 && error instanceof InvalidInputError && !batch.controller.signal.aborted) {
        // Find whose input the model rejected: each request alone, in this same slot.
        for (const member of live) {
          if (member.settled) continue;
          try {
            this.#settle(member, { output: await run(member.input, member.signal) });
          } catch (own) {
            this.#settle(member, { error: own });
          }
        }
        return;
      }
      for (const member of live) this.#settle(member, { error });
    }
  }
}
