import pRetry from 'p-retry';
import { abortErrorOf, sleep } from '../abort.ts';
import { isMlkitError } from '../errors.ts';

/**
 * How failed attempts are retried. With the defaults a call gives up after about 1.5 s of backoff:
 * it waits 375-500 ms, then 750-1000 ms (1.1-1.5 s in all, plus the attempts' own time); after a
 * connection error the first retry is immediate, so 0.75-1 s. To outlast a load balancer that takes
 * 2 s to mark a dead replica down, use `maxRetries: 3` (2.6-3.5 s; 2.25-3 s after a connection error).
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff; doubles each retry. */
  baseDelayMs: number;
  /** Most a computed backoff may be. */
  maxDelayMs: number;
  /** Most a server's Retry-After may ask; a larger hint is ignored in favour of our own backoff. */
  maxRetryAfterMs: number;
  /**
   * Wait before the first retry after a connection error (refused, reset or closed before any response
   * arrived), which goes out on a fresh connection; later retries use the backoff. Default 0.
   */
  connectionRetryDelayMs?: number;
  /** Source of jitter in [0, 1); injectable for tests. */
  random: () => number;
}

/**
 * The transport's retry policy when none is given: 2 retries, 500 ms to 8 s backoff with jitter (the
 * call gives up after 1.1-1.5 s of waits), an immediate first retry after a connection error,
 * Retry-After up to 60 s.
 */
export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  connectionRetryDelayMs: 0,
  random: Math.random,
};

/**
 * Codes of a connection that failed (Node's net and undici): refused, reset, closed by the other side,
 * a broken pipe, a connect that timed out, an unreachable host.
 */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// Network errors raised before any response arrived; only the transport knows the phase.
const beforeResponse = new WeakSet<object>();

/** Mark a network error as raised while the request was sent, before any response (the transport does this). */
export function markBeforeResponse<E extends object>(error: E): E {
  beforeResponse.add(error);
  return error;
}

/** Whether one of the codes along `error`'s causes (and an AggregateError's errors) is a connection failure. */
function hasConnectionCode(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (Array.isArray(errors) && errors.some((inner) => hasConnectionCode(inner, depth + 1))) return true;
  return hasConnectionCode(cause, depth + 1);
}

/**
 * Whether `error` is a NetworkError from a connection that failed before any response: refused,
 * reset, or closed while the request was sent. The server answered nothing, so the member or replica
 * is down (not merely slow), and a retry on a fresh connection may reach a live one.
 */
export function isConnectionError(error: unknown): boolean {
  return (
    isMlkitError(error) &&
    error.code === 'network' &&
    beforeResponse.has(error) &&
    hasConnectionCode(error.cause)
  );
}

// The headers of the response an error came from, so the policy can read the server's hints.
const responseHeaders = new WeakMap<object, Headers>();

/** Attach the failed response's headers to its error, for `x-should-retry` and Retry-After. */
export function withResponseHeaders<E extends object>(error: E, headers: Headers): E {
  responseHeaders.set(error, headers);
  return error;
}

/** The server's requested delay in ms from `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (ms >= 0) return ms;
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether a failure is worth another attempt: `x-should-retry` wins, else the error's `retryable`. */
export function isRetryable(error: unknown): boolean {
  const hint = responseHeaders.get(error as object)?.get('x-should-retry');
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  return isMlkitError(error) && error.retryable;
}

/** Exponential backoff with up to 25% jitter below it, as openai-node: min(base * 2^n, cap) * (1 - U[0, 0.25]). */
export function backoffDelayMs(retry: number, policy: RetryPolicy): number {
  const delay = Math.min(policy.baseDelayMs * 2 ** (retry - 1), policy.maxDelayMs);
  return delay * (1 - policy.random() * 0.25);
}

/**
 * The wait before retry number `retry` (1-based). A server hint up to `maxRetryAfterMs` is
 * honoured exactly; a larger one (a server asking for an hour) falls back to our own backoff,
 * as openai-node does, and the final RateLimitError still carries the hint in `retryAfterMs`.
 */
export function retryDelayMs(error: unknown, retry: number, policy: RetryPolicy): number {
  const headers = responseHeaders.get(error as object);
  const hint = headers ? parseRetryAfter(headers) : undefined;
  if (hint !== undefined && hint <= policy.maxRetryAfterMs) return hint;
  return backoffDelayMs(retry, policy);
}

/** What the transport knows about a retry it is about to make. */
export interface RetryInfo {
  /** The attempt about to be made (2 for the first retry). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

/**
 * Run `attempt` until it succeeds, fails for good, or `policy.maxRetries` retries are spent.
 * p-retry counts and stops; the delay is ours (it cannot take a per-failure delay), slept inside
 * `onFailedAttempt` so that an abort during backoff rejects at once with the typed error. The first
 * connection error of a call is retried after `connectionRetryDelayMs` (0: at once) instead of its
 * backoff: nothing reached the server, and the retry carries the same headers (Idempotency-Key
 * included), so a request the server did get after all is not billed twice.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  options: { signal?: AbortSignal; onRetry?: (info: RetryInfo) => void } = {},
): Promise<T> {
  const { signal, onRetry } = options;
  // Backoff waits listen on a signal of our own that follows the caller's, so that hundreds of calls
  // backing off on one caller's signal add no listeners to it (MaxListenersExceededWarning). Made
  // on the first retry only: AbortSignal.any costs on every call, and most calls never retry.
  let backoffSignal: AbortSignal | undefined;
  let connectionRetried = false;
  try {
    return await pRetry(attempt, {
      retries: policy.maxRetries,
      minTimeout: 0,
      maxTimeout: 0,
      signal,
      shouldRetry: ({ error }) => isRetryable(error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || !isRetryable(error) || signal?.aborted) return;
        const quick = !connectionRetried && isConnectionError(error);
        connectionRetried ||= quick;
        const delayMs = quick
          ? (policy.connectionRetryDelayMs ?? 0)
          : retryDelayMs(error, attemptNumber, policy);
        onRetry?.({ attempt: attemptNumber + 1, delayMs, error });
        if (signal) backoffSignal ??= AbortSignal.any([signal]);
        await sleep(delayMs, backoffSignal);
      },
    });
  } catch (error) {
    // p-retry rejects with the signal's raw reason; callers get the typed one.
    throw signal?.aborted ? abortErrorOf(signal) : error;
  }
}
