import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.ts';
import type { Logger } from './options.ts';

/** The header that carries a request's id both ways: read from the request, set on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** 1 to 128 visible ASCII characters: a UUID, a balancer's id (haproxy `%ID`, nginx `$request_id`), a trace id. */
const ACCEPTED_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The request-id middleware, mounted first so that every answer carries the id: success, every
 * error status, streams, health checks and CORS preflights. A client's `x-request-id` is kept when
 * it is 1-128 visible ASCII characters; otherwise (too long, spaces, control characters, two
 * headers joined by a comma and space) a fresh `crypto.randomUUID()` replaces it and the logger's
 * `warn` says so. Handlers read the id as `c.get('requestId')`.
 */
export function requestIdMiddleware(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const received = c.req.header(REQUEST_ID_HEADER);
    const accepted = received !== undefined && ACCEPTED_ID.test(received);
    const requestId = accepted ? received : crypto.randomUUID();
    if (!accepted && received !== undefined) {
      // JSON.stringify keeps control characters in the client's value from forging log lines.
      logger.warn?.(
        `${REQUEST_ID_HEADER} ${JSON.stringify(received.slice(0, 200))} is not 1-128 visible ASCII characters; replaced by ${requestId}`,
        { requestId, receivedLength: received.length },
      );
    }
    c.set('requestId', requestId);
    await next();
    // After the handler: its Response (an error's, a stream's, a preflight's) is the one sent.
    c.header(REQUEST_ID_HEADER, requestId);
  };
}
