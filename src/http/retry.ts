import pRetry from 'p-retry';
import { abortErrorOf, sleep } from '../abort.ts';
import { isMlkitError } from '../errors.ts';

/** How failed attempts are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff; doubles each retry. */
  baseDelayMs: number;
  /** Most a computed backoff may be. */
  maxDelayMs: number;
  /** Most a server's Retry-After may ask; a larger hint is ignored in favour of our own backoff. */
  maxRetryAfterMs: number;
  /** Source of jitter in [0, 1); injectable for tests. */
  random: () => number;
}

/** The transport's retry policy when none is given: 2 retries, 500 ms to 8 s backoff with jitter, Retry-After up to 60 s. */
export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
};

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
 * `onFailedAttempt` so that an abort during backoff rejects at once with the typed error.
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
  try {
    return await pRetry(attempt, {
      retries: policy.maxRetries,
      minTimeout: 0,
      maxTimeout: 0,
      signal,
      shouldRetry: ({ error }) => isRetryable(error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || !isRetryable(error) || signal?.aborted) return;
        const delayMs = retryDelayMs(error, attemptNumber, policy);
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
