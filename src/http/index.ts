/**
 * `@mlkit/core/http` — the transport every remote provider uses; exported for third-party providers.
 *
 * @module @mlkit/core/http
 */
export { type AuthOptions, authHeaders, readEnv } from './auth.ts';
export { type LimitedBytes, readLimitedBytes } from './body.ts';
export {
  type ErrorBody,
  errorFromResponse,
  errorFromStatus,
  parseErrorBody,
  parseJsonResponse,
  toTransportError,
} from './errors.ts';
export {
  backoffDelayMs,
  defaultRetryPolicy,
  isConnectionError,
  isRetryable,
  parseRetryAfter,
  type RetryInfo,
  type RetryPolicy,
  retryDelayMs,
  withResponseHeaders,
  withRetry,
} from './retry.ts';
export { type ReadSseOptions, readSse } from './sse.ts';
export { type AttemptTimers, attemptTimers } from './timeouts.ts';
export { createTransport } from './transport.ts';
export type {
  BytesResponse,
  RequestOptions,
  SseEvent,
  StreamRequestOptions,
  Transport,
  TransportOptions,
} from './types.ts';
