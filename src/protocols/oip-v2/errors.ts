/**
 * OIP v2 errors are `{"error": "<message>"}` with the HTTP status saying the kind. Client: the
 * transport reads such bodies (src/http/errors.ts) into the error hierarchy by status (404 ->
 * NotFoundError, 400 -> InvalidInputError, 429 -> RateLimitError, 5xx -> ServerError). Server:
 * `errorBody` is the body for any failure.
 */
import type { ErrorBody } from './schemas.ts';

/** Server: the wire body of an error, the message alone (no codes or internals). */
export function errorBody(message: string): ErrorBody {
  return { error: message };
}
