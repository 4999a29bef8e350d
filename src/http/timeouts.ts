import { MAX_TIMER_MS } from '../abort.ts';
import { TimeoutError, type TimeoutKind } from '../errors.ts';

const WHAT: Record<TimeoutKind, (ms: number) => string> = {
  total: (ms) => `The call did not finish within ${ms} ms (timeoutMs)`,
  attempt: (ms) => `No response within ${ms} ms (timeoutMs); raise it for slow generations`,
  'first-chunk': (ms) => `No stream event within ${ms} ms of sending the request (firstChunkTimeoutMs)`,
  idle: (ms) => `The stream sent no event for ${ms} ms (idleTimeoutMs)`,
};

/** One attempt's signal, and named timers that abort it with a TimeoutError of their kind. */
export interface AttemptTimers {
  /** Follows the caller's signal and fires when a timer runs out. Pass it to fetch. */
  readonly signal: AbortSignal;
  /** (Re)start the timer of `kind`; undefined, 0 or non-finite `ms` means no limit. */
  start(kind: TimeoutKind, ms: number | undefined): void;
  /** Stop the timer of `kind`. */
  stop(kind: TimeoutKind): void;
  /** Stop every timer and abort the attempt (closes its connection). */
  cancel(): void;
  /** Stop every timer. */
  clear(): void;
}

/**
 * Timers for one attempt. One AbortController per attempt, tied to the caller's signal with
 * AbortSignal.any, so that hundreds of calls on one signal add no listeners to it.
 */
export function attemptTimers(parent: AbortSignal | undefined, provider: string): AttemptTimers {
  const controller = new AbortController();
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  const timers = new Map<TimeoutKind, ReturnType<typeof setTimeout>>();
  const stop = (kind: TimeoutKind) => {
    clearTimeout(timers.get(kind));
    timers.delete(kind);
  };
  const clear = () => {
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  };
  return {
    signal,
    start(kind, ms) {
      stop(kind);
      if (!ms || !(ms > 0) || ms > MAX_TIMER_MS) return;
      const fire = () => {
        const message = `${provider}: ${WHAT[kind](ms)}`;
        controller.abort(new TimeoutError(message, { kind, timeoutMs: ms, provider }));
      };
      timers.set(kind, setTimeout(fire, ms));
    },
    stop,
    cancel() {
      clear();
      controller.abort();
    },
    clear,
  };
}
