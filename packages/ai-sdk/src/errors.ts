// Errors of AI SDK models as mlkit's typed errors, so fallback, retries and circuits judge them as
// they judge any provider's: the HTTP status decides the class, connection failures are network errors.
import { APICallError } from '@ai-sdk/provider';
import { isMlkitError, type MlkitError, NetworkError, ServerError } from '@mlkit/core';
import { errorFromStatus, parseErrorBody } from '@mlkit/core/http';

/** An AI SDK model's failure as an mlkit error (mlkit errors and aborts pass as they are). */
export function mlkitErrorOf(error: unknown, provider: string): unknown {
  if (isMlkitError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (APICallError.isInstance(error)) {
    if (error.statusCode !== undefined) {
      const body =
        error.responseBody === undefined ? { message: error.message } : parseErrorBody(error.responseBody);
      const typed: MlkitError = errorFromStatus(error.statusCode, body, { provider });
      return Object.assign(typed, { cause: error });
    }
    return new NetworkError(`${provider}: ${error.message}`, {
      provider,
      cause: error,
      retryable: error.isRetryable,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const retryable = (error as { isRetryable?: unknown } | null)?.isRetryable === true;
  return new ServerError(`${provider} failed: ${message}`, { provider, cause: error, retryable });
}
