import { type Context, Hono } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import packageJson from '../package.json' with { type: 'json' };
import { createKeyCheck } from './auth.ts';
import { type AppEnv, createContext } from './context.ts';
import { corsMiddleware } from './cors.ts';
import { errorBody, HttpError, protocolOf, toHttpError } from './errors.ts';
import { Lifecycle } from './lifecycle.ts';
import { mediaUrlResolver } from './media-urls.ts';
import { Gauge, ServerMetrics } from './metrics.ts';
import { oipRoutes } from './oip/routes.ts';
import { openaiRoutes } from './openai/routes.ts';
import { type ResolvedOptions, resolveOptions, type ServerEvent, type ServerOptions } from './options.ts';
import { requestTracing } from './otel.ts';
import { predictRoutes } from './predict.ts';
import { requestIdMiddleware } from './request-id.ts';
import { ModelRunner } from './runner.ts';

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * How long readiness answers 503 while every other request is still served, so that load balancers
   * see the replica leave before it stops accepting. Default: the server's `drainDelayMs` (10_000),
   * applied only when a readiness probe was answered since start; a server nobody probed closes at once.
   */
  drainDelayMs?: number;
  /** How long in-flight requests (streams included) may take to finish before they are aborted. Default 30_000 ms. */
  graceMs?: number;
  /**
   * Called when the drain delay is over and new requests are refused: stop the runtime's listener
   * here (`listen()` closes Node's; on Bun `server.stop()`, on Deno `server.shutdown()`).
   */
  onStopAccepting?: () => void;
}

/** A web-standard HTTP server for mlkit models. */
export interface MlkitServer {
  /**
   * Answer one request: the handler for Node (`@mlkit/server/node`), Bun, Deno and workers. Pass the
   * runtime's second argument on (`Deno.serve(server.fetch)` does): from Deno's handler info the
   * server learns that a client left without reading `request.signal`, which makes Deno warn.
   */
  fetch(request: Request, info?: unknown): Promise<Response>;
  /**
   * Graceful shutdown in the order load balancers expect: readiness (`/v2/health/ready`,
   * `/v2/models/{name}/ready`) answers 503 at once while every other request is still served for
   * `drainDelayMs` (only if readiness was probed since start); then new requests are refused (503),
   * in-flight ones finish (streams included) for up to `graceMs`, what is left is aborted, and every
   * model is disposed once. `/v2/health/live` answers 200 throughout. Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
  /** The Hono app, to mount under another app or to add routes. */
  readonly app: Hono<AppEnv>;
  /** The limits in force, defaults filled in (the Node listener fits its socket timeouts to them). */
  readonly limits: Readonly<ResolvedOptions['limits']>;
}

/**
 * Serve models over HTTP: OpenAI-compatible (`/v1/...`), Open Inference Protocol v2 (`/v2/...`),
 * `/predict/{name}` and `/metrics`, with API keys, limits, backpressure, batching and graceful shutdown.
 *
 * @example
 * const server = createServer({ models: { iris: irisModel, 'tiny-gpt': chatModel }, apiKeys: [process.env.API_KEY!] });
 * export default server; // Bun, Deno, workers; on Node: await listen(server, { port: 8080 })
 */
export function createServer(options: ServerOptions): MlkitServer {
  const resolved = resolveOptions(options);
  const { logger, limits } = resolved;
  const metrics = new ServerMetrics();
  const lifecycle = new Lifecycle();

  const emit = (event: ServerEvent) => {
    try {
      resolved.onEvent?.(event);
    } catch (error) {
      logger.error('onEvent listener threw', { error });
    }
  };

  const resolveMedia = mediaUrlResolver(resolved.mediaUrls);
  const runners = new Map<string, ModelRunner>();
  for (const [name, model] of resolved.models) {
    const runner = new ModelRunner(name, model, {
      maxConcurrency: limits.maxConcurrency,
      maxQueue: limits.maxQueue,
      batching: resolved.batching,
      metrics,
      onBatch: (requests, items) => emit({ type: 'batch', model: name, requests, items }),
      prepare: resolveMedia,
    });
    runners.set(name, runner);
  }
  const perModel = (read: (runner: ModelRunner) => number) => () =>
    [...runners.values()].map((runner): [Record<string, string>, number] => [
      { model: runner.name },
      read(runner),
    ]);
  metrics.addGauge(
    new Gauge(
      'mlkit_queue_depth',
      'Requests waiting for a model slot, by model.',
      perModel((r) => r.queueDepth),
    ),
  );
  metrics.addGauge(
    new Gauge(
      'mlkit_running_calls',
      'Model calls running now, by model.',
      perModel((r) => r.running),
    ),
  );
  metrics.addGauge(
    new Gauge('mlkit_inflight_requests', 'HTTP requests in flight.', () => [[{}, lifecycle.inflight]]),
  );

  const context = createContext(resolved, runners);
  const checkKey = resolved.apiKeys.length > 0 ? createKeyCheck(resolved.apiKeys) : undefined;
  const app = new Hono<AppEnv>();

  const routeOf = (c: Context<AppEnv>) => {
    const route = routePath(c, -1);
    return route === '' || route === '*' || route === '/*' ? 'unmatched' : route;
  };

  const errorResponse = (c: Context<AppEnv>, error: unknown): Response => {
    const httpError = toHttpError(error);
    if (httpError.status >= 500) {
      const route = routeOf(c);
      if (httpError.status === 500 || httpError.status === 502) {
        logger.error(`${c.req.method} ${route} failed with ${httpError.status}: ${httpError.message}`, {
          error: httpError.cause ?? httpError,
          requestId: c.get('requestId'),
        });
      }
      emit({
        type: 'error',
        route,
        status: httpError.status,
        error: httpError,
        requestId: c.get('requestId'),
      });
    }
    return c.json(
      errorBody(protocolOf(c.req.path), httpError),
      httpError.status as ContentfulStatusCode,
      httpError.headers,
    );
  };

  // Outermost: every answer carries the request id, a preflight's and a shutdown 503 too.
  app.use('*', requestIdMiddleware(logger));
  // Inside it, so that the span reads the request id; outside the rest, so that it sees every answer.
  if (options.tracer) app.use('*', requestTracing(options.tracer));
  // Then: a preflight carries no API key and must not meet auth, shutdown or method checks.
  if (resolved.cors) app.use('*', corsMiddleware(resolved.cors));

  app.use('*', async (c, next) => {
    const startedAt = performance.now();
    const scope = lifecycle.open(clientGone(c.req.raw, c.env), limits.requestTimeoutMs);
    c.set('scope', scope);
    try {
      if (!lifecycle.accepting && c.req.path !== '/v2/health/live') {
        throw new HttpError(503, 'The server is shutting down; retry on another replica', {
          code: 'shutting_down',
          headers: { Connection: 'close', 'Retry-After': '1' },
        });
      }
      // Kubernetes probes and load balancers check health without credentials.
      if (checkKey && !c.req.path.startsWith('/v2/health/')) {
        const denied = await checkKey(c.req.header('authorization') ?? null);
        if (denied) throw denied;
      }
      await next();
    } catch (error) {
      c.res = errorResponse(c, error);
    } finally {
      // Draining: each kept-alive connection closes after its answer, so that none is left idle
      // (and raced by a new request) when the listener closes.
      if (!lifecycle.ready) c.header('Connection', 'close');
      scope.end(() => {
        const route = routeOf(c);
        const durationMs = performance.now() - startedAt;
        metrics.recordRequest(route, c.req.method, c.res.status, durationMs / 1000, c.get('requestId'));
        const model = c.get('model');
        emit({
          type: 'request',
          method: c.req.method,
          route,
          status: c.res.status,
          durationMs,
          requestId: c.get('requestId'),
          ...(model && { model }),
        });
      });
    }
  });

  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        errorResponse(
          c,
          new HttpError(405, `${c.req.method} is not allowed on ${c.req.path}; use ${methods.join(' or ')}`, {
            code: 'method_not_allowed',
            headers: { Allow: methods.join(', ') },
          }),
        ),
    }),
  );

  const reportStreamError = (error: HttpError) => {
    if (error.status === 500 || error.status === 502)
      logger.error(`stream failed: ${error.message}`, { error: error.cause });
  };
  openaiRoutes(app, context, reportStreamError);
  oipRoutes(app, context, () => lifecycle.probeReadiness(), packageJson.version);
  predictRoutes(app, context);
  app.get('/metrics', (c) => {
    // Prometheus asks for OpenMetrics, which carries the latency exemplars (request ids).
    const { body, contentType } = metrics.exposition(c.req.header('accept'));
    return c.body(body, 200, { 'Content-Type': contentType });
  });

  app.notFound((c) =>
    errorResponse(
      c,
      new HttpError(
        404,
        `No route for ${c.req.method} ${c.req.path}; routes are under /v1, /v2, /predict and /metrics`,
        {
          code: 'route_not_found',
        },
      ),
    ),
  );
  app.onError((error, c) => errorResponse(c, error));

  let closing: Promise<void> | undefined;
  return {
    app,
    limits,
    fetch: async (request, info) => app.fetch(request, info),
    close({ drainDelayMs = resolved.drainDelayMs, graceMs = 30_000, onStopAccepting } = {}) {
      if (closing) return closing;
      // A server nobody probed has no load balancer to wait for (tests, scripts, `./dev demo`).
      const delayMs = lifecycle.probed ? drainDelayMs : 0;
      closing = lifecycle.shutdown({
        drainDelayMs: delayMs,
        graceMs,
        onStopAccepting,
        abortReason: () =>
          new HttpError(
            503,
            `The server shut down before this request finished (grace period ${graceMs} ms)`,
            {
              code: 'shutting_down',
            },
          ),
        dispose: async () => {
          const models = [...new Set(resolved.models.values())];
          const results = await Promise.allSettled(models.map((model) => model.dispose()));
          results.forEach((result, i) => {
            if (result.status === 'rejected')
              logger.error(`dispose() of model ${models[i]!.id} failed`, { error: result.reason });
          });
        },
        onPhase: (phase, inflight) =>
          emit(
            phase === 'not-ready'
              ? { type: 'shutdown', phase, inflight, drainDelayMs: delayMs }
              : { type: 'shutdown', phase, inflight },
          ),
      });
      return closing;
    },
  };
}

/**
 * A signal that fires when the client is gone before its answer was delivered. Deno.serve hands the
 * handler an info object whose `completed` promise rejects when the answer could not be sent; there
 * that is used, because reading `request.signal` under Deno 2's default (legacy) abort makes Deno
 * abort it after every successful answer too and print "request.signal aborts on successful
 * responses". Elsewhere (Node's adapter, Bun, workers) `request.signal` fires only when the client leaves.
 */
function clientGone(request: Request, info: unknown): AbortSignal {
  const completed = (info as { completed?: unknown } | null | undefined)?.completed;
  if (!(completed instanceof Promise)) return request.signal;
  const controller = new AbortController();
  completed.catch((reason: unknown) => controller.abort(reason));
  return controller.signal;
}
