import { abortErrorOf, raceAbort } from '@mlkit/core';

interface Waiting {
  start(): void;
  cancel(): void;
}

/**
 * A FIFO of jobs that run at most `concurrency` at a time — one per session for onnxruntime-web,
 * which rejects a second `run()` on a busy session. A job whose signal fires while it waits is
 * taken out of the line and rejects at once; a running job's caller is released at once too
 * (the native run cannot be stopped, its result is dropped).
 */
export class RunQueue {
  readonly #concurrency: number;
  readonly #waiting: Waiting[] = [];
  #running = 0;

  constructor(concurrency = 1) {
    this.#concurrency = concurrency;
  }

  /** Jobs waiting for their turn (not counting running ones). */
  get size(): number {
    return this.#waiting.length;
  }

  run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortErrorOf(signal));
    if (this.#running < this.#concurrency && this.#waiting.length === 0) return this.#start(job, signal);
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#start(job, signal).then(resolve, reject);
        },
        cancel: () => reject(abortErrorOf(signal!)),
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(entry);
        if (index >= 0) this.#waiting.splice(index, 1);
        entry.cancel();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #start<T>(job: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    this.#running++;
    let work: Promise<T>;
    try {
      work = job();
    } catch (error) {
      work = Promise.reject(error);
    }
    if (!signal) {
      work.then(this.#done, this.#done);
      return work;
    }
    work.then(this.#done, this.#done);
    return raceAbort(work, signal);
  }

  readonly #done = (): void => this.#next();

  #next(): void {
    this.#running--;
    this.#waiting.shift()?.start();
  }
}
