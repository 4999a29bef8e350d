import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from './context.ts';

// The API's enum values (fixed since @opentelemetry/api 1.0), written out so that nothing here
// imports @opentelemetry/api at run time: it is an optional peer, needed only by whoever passes a tracer.
const SPAN_KIND_SERVER = 1;
const STATUS_ERROR = 2;

/** The route template a request matched, or undefined (404s, preflights answered before routing). */
function routeOf(c: Context<AppEnv>): string | undefined {
  const route = routePath(c, -1);
  return route === '' || route === '*' || route === '/*' ? undefined : route;
}

/** What the request line and headers say, named by the OpenTelemetry HTTP server conventions. */
function requestAttributes(c: Context<AppEnv>): Attributes {
  const url = new URL(c.req.url);
  const userAgent = c.req.header('user-agent');
  return {
    'http.request.method': c.req.method,
    'url.path': url.pathname,
    'url.scheme': url.protocol.replace(/:$/, ''),
    'server.address': url.hostname,
    'server.port': url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    ...(userAgent !== undefined && { 'user_agent.original': userAgent }),
    'mlkit.request_id': c.get('requestId'),
  };
}

/** The answer: route, status (5xx marks the span failed), the served model's name. */
function finish(span: Span, c: Context<AppEnv>): void {
  const route = routeOf(c);
  const status = c.res.status;
  if (route !== undefined) {
    span.updateName(`${c.req.method} ${route}`);
    span.setAttribute('http.route', route);
  }
  span.setAttribute('http.response.status_code', status);
  const model = c.get('model');
  if (model) span.setAttribute('mlkit.model', model);
  if (status >= 500) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: STATUS_ERROR });
  }
}

/** `body` read through, calling `onEnd` once when it ends, fails or is cancelled. */
function endingWith(
  body: ReadableStream<Uint8Array>,
  onEnd: (error?: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (error?: unknown) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          end();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        end(error);
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason);
    },
  });
}

/**
 * The request-tracing middleware (`createServer({ tracer })`): a SERVER span per request, named
 * `{method} {route}` ("POST /v1/chat/completions"), with `http.request.method`, `url.path`,
 * `http.route`, `http.response.status_code`, `server.address`, `user_agent.original` and the
 * request's id as `mlkit.request_id`; status ERROR with `error.type` for 5xx answers. A streamed
 * answer's span ends with its last event. The span is the active one while the request is handled,
 * so spans of models made with `instrument()` from `@mlkit/core/otel` are its children where a
 * context manager is registered (the Node SDK registers one); it is the child of whatever span is
 * active when the request arrives (an HTTP instrumentation's, which carries the caller's trace).
 */
export function requestTracing(tracer: Tracer): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    tracer.startActiveSpan(
      c.req.method,
      { kind: SPAN_KIND_SERVER, attributes: requestAttributes(c) },
      async (span: Span) => {
        try {
          await next();
        } catch (error) {
          span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
          span.setStatus({ code: STATUS_ERROR });
          span.end();
          throw error;
        }
        finish(span, c);
        const streamed = c.res.headers.get('content-type')?.startsWith('text/event-stream') && c.res.body;
        if (!streamed) {
          span.end();
          return;
        }
        c.res = new Response(
          endingWith(c.res.body!, (error) => {
            if (error !== undefined) {
              span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
              span.setStatus({ code: STATUS_ERROR });
            }
            span.end();
          }),
          c.res,
        );
      },
    );
}
