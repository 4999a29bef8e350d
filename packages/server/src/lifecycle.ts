import { deadline } from '@mlkit/core';
import type { Release } from './slots.ts';

/** What a handler gets for its request. */
export interface RequestScope {
  /** Fires when the client disconnects, the request timeout passes, or shutdown gives up waiting. */
  readonly signal: AbortSignal;
  /** Keep the request in flight after the handler returns (a streamed body); release at its end. */
  hold(): Release;
}

/** A shutdown's steps, in the order they happen (`onEvent` reports each as a `shutdown` phase). */
export type ShutdownPhase = 'not-ready' | 'draining' | 'aborting' | 'closed';

/** What `Lifecycle.shutdown` needs from the server around the drain. */
export interface ShutdownSteps {
  /** How long readiness answers 503 while every other request is still served (0: go on at once). */
  drainDelayMs: number;
  /** How long in-flight requests may take once new ones are refused. */
  graceMs: number;
  /** New requests are refused from now on: the listener stops accepting connections here. */
  onStopAccepting?: () => void;
  /** The abort reason handed to requests still running when `graceMs` is over. */
  abortReason(): unknown;
  /** Dispose the models (last: nothing is in flight any more, or it was aborted). */
  dispose(): Promise<void>;
  onPhase(phase: ShutdownPhase, inflight: number): void;
}

/** How long an aborted request may take to notice its signal before shutdown disposes anyway. */
const ABORT_WAIT_MS = 1000;

/**
 * Where the server is in its life, and the requests in flight (streams until their last byte) so that
 * shutdown can wait for them; gives each request one signal that carries every reason to stop.
 *
 * Phases: serving -> not ready (readiness 503, every other request still served, for the drain
 * delay) -> stopping (new requests 503, in-flight ones finish) -> closed.
 */
export class Lifecycle {
  #phase: 'serving' | 'not-ready' | 'stopping' = 'serving';
  #probed = false;
  readonly #shutdown = new AbortController();
  #inflight = 0;
  #idle: Array<() => void> = [];

  /** Readiness: false from the first moment of a shutdown. */
  get ready(): boolean {
    return this.#phase === 'serving';
  }

  /** Whether new requests are served: true until the drain delay is over. */
  get accepting(): boolean {
    return this.#phase !== 'stopping';
  }

  /** Readiness as a probe reads it; remembers that something probes, so that a shutdown waits for it to notice. */
  probeReadiness(): boolean {
    this.#probed = true;
    return this.ready;
  }

  /** Whether a readiness probe has been answered since start. */
  get probed(): boolean {
    return this.#probed;
  }

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

  /**
   * Shut down in the order load balancers expect: readiness 503 at once while requests are still
   * served for `drainDelayMs`, then new requests refused (the listener closes), in-flight ones
   * finish within `graceMs` (aborted after it), then the models are disposed. Liveness is never gated.
   */
  async shutdown(steps: ShutdownSteps): Promise<void> {
    this.#phase = 'not-ready';
    steps.onPhase('not-ready', this.#inflight);
    if (steps.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, steps.drainDelayMs));
    this.#phase = 'stopping';
    steps.onStopAccepting?.();
    steps.onPhase('draining', this.#inflight);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), steps.graceMs);
    });
    const outcome = await Promise.race([this.idle().then(() => 'idle' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace-over') {
      steps.onPhase('aborting', this.#inflight);
      this.#shutdown.abort(steps.abortReason());
      // A model that ignores its signal must not hold shutdown forever.
      await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, ABORT_WAIT_MS))]);
    }
    await steps.dispose();
    steps.onPhase('closed', this.#inflight);
  }
}
