import { deadline } from '@mlkit/core';
import type { Release } from './slots.ts';

/** What a handler gets for its request. */
export interface RequestScope {
  /** Fires when the client disconnects, the request timeout passes, or shutdown gives up waiting. */
  readonly signal: AbortSignal;
  /** Keep the request in flight after the handler returns (a streamed body); release at its end. */
  hold(): Release;
}

/**
 * Counts requests in flight (streams until their last byte) so that shutdown can wait for them,
 * and gives each request one signal that carries every reason to stop.
 */
export class Lifecycle {
  accepting = true;
  readonly #shutdown = new AbortController();
  #inflight = 0;
  #idle: Array<() => void> = [];

  get inflight(): number {
    return this.#inflight;
  }

  /** Open a request's scope; `end` runs once the handler and every hold are done. */
  open(
    requestSignal: AbortSignal,
    timeoutMs: number | undefined,
  ): RequestScope & { end(onEnd: () => void): void } {
    this.#inflight++;
    const limit = deadline(AbortSignal.any([requestSignal, this.#shutdown.signal]), timeoutMs, 'total');
    let holds = 1;
    let onEnd: (() => void) | undefined;
    const drop = () => {
      if (--holds > 0) return;
      limit.clear();
      onEnd?.();
      this.#inflight--;
      if (this.#inflight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
    return {
      signal: limit.signal,
      hold() {
        holds++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          drop();
        };
      },
      end(callback) {
        onEnd = callback;
        drop();
      },
    };
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Abort everything still in flight with `reason` (shutdown's grace period is over). */
  abortAll(reason: unknown): void {
    this.#shutdown.abort(reason);
  }
}
