import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { z } from 'zod';

/** Response headers a browser page may read: backoff hints, the key challenge, request ids. */
const EXPOSED_HEADERS = ['Retry-After', 'retry-after-ms', 'WWW-Authenticate', 'x-request-id'];

export const Cors = z.strictObject({
  /** Origins allowed to call the server from a browser (`'http://app.example:5173'`), or `'*'` for any. */
  origins: z.union([z.literal('*'), z.array(z.url({ protocol: /^https?$/ })).min(1)]),
  /** Request headers allowed besides those the preflight asks for. Default: whatever the preflight asks for. */
  allowHeaders: z.array(z.string().min(1)).optional(),
  /** Response headers pages may read, added to Retry-After, retry-after-ms, WWW-Authenticate and x-request-id. */
  exposeHeaders: z.array(z.string().min(1)).default([]),
  /** How long a browser may cache a preflight answer, in seconds. Default 600. */
  maxAgeSeconds: z.number().int().nonnegative().default(600),
});
/** Cross-origin access from browser pages (CORS). */
export type Cors = z.input<typeof Cors>;

/**
 * CORS as hono's middleware: mounted before auth, so a preflight (OPTIONS, which carries no key)
 * is answered 204 at once, never 401 or 405; every other answer, errors included, carries the
 * allow-origin and expose headers. An origin not listed gets no allow-origin header, so the
 * browser refuses the response.
 */
export function corsMiddleware(options: z.output<typeof Cors>): MiddlewareHandler {
  const origins = options.origins;
  return cors({
    // Origins compare as the browser sends them: scheme, host and port, no trailing slash.
    origin: origins === '*' ? '*' : origins.map((origin) => new URL(origin).origin),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    ...(options.allowHeaders && { allowHeaders: options.allowHeaders }),
    exposeHeaders: [...EXPOSED_HEADERS, ...options.exposeHeaders],
    maxAge: options.maxAgeSeconds,
  });
}
