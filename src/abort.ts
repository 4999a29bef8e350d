import { AbortError, isMlkitError, type MlkitError, TimeoutError, type TimeoutKind } from './errors.ts';

/** The longest delay setTimeout honours; longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The typed error for an aborted signal: its reason when that is an mlkit error, else AbortError. */
export function abortErrorOf(signal: AbortSignal): MlkitError {
  const reason = signal.reason;
  if (isMlkitError(reason)) return reason;
  return new AbortError(undefined, { cause: reason });
}

/** Throw the typed abort/timeout error if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorOf(signal);
}

export interface Deadline {
  /** Fires when the caller's signal fires or the deadline passes (reason: a TimeoutError). */
  readonly signal: AbortSignal;
  /** Clears the timer; call when the work ends. */
  clear(): void;
}

/**
 * A signal that follows `parent` and also fires after `timeoutMs` with a TimeoutError of `kind`.
 * Uses AbortSignal.any so no listener is left on the parent (no MaxListenersExceededWarning).
 */
export function deadline(
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  kind: TimeoutKind,
): Deadline {
  // setTimeout fires at once for delays above 2^31 - 1 ms (~24.8 days): those mean "no limit".
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs) || timeoutMs > MAX_TIMER_MS) {
    return { signal: parent ?? new AbortController().signal, clear() {} };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(
      new TimeoutError(`No result within ${timeoutMs} ms (${kind} timeout)`, { kind, timeoutMs }),
    );
  }, timeoutMs);
  (timer as { unref?: () => void }).unref?.();
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  return { signal, clear: () => clearTimeout(timer) };
}

/** `promise`, or the signal's typed error as soon as it fires (the work itself is left to settle). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortErrorOf(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortErrorOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolve after `ms`, or reject at once with the typed error when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortErrorOf(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorOf(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
