import { abortErrorOf } from '@mlkit/core';

/** Gives a slot back; calling it twice is harmless. */
export type Release = () => void;

/**
 * At most `concurrency` holders at once; the rest wait in arrival order. A holder keeps its slot
 * as long as it needs (a streamed response holds it until its last chunk), which is why this is a
 * lease and not a job queue like p-queue. Bounding the queue is the caller's decision.
 */
export class Slots {
  readonly concurrency: number;
  #running = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }

  /** Slots in use now. */
  get running(): number {
    return this.#running;
  }

  /** Wait for a slot; rejects with the signal's typed error if it fires first (and leaves the line). */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortErrorOf(signal));
    if (this.#running < this.concurrency) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise<Release>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.#releaser());
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(grant);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortErrorOf(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(grant);
    });
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the next waiter so a newcomer cannot overtake the line.
      const next = this.#waiters.shift();
      if (next) next();
      else this.#running--;
    };
  }
}
