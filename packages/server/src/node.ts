/**
 * `@mlkit/server/node` — listen on a port with Node's HTTP server.
 *
 * @module @mlkit/server/node
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants } from 'node:os';
import { getRequestListener } from '@hono/node-server';
import { InvalidInputError } from '@mlkit/core';
import type { CloseOptions, MlkitServer } from './server.ts';

/** Options of `listen()`. */
export interface ListenOptions {
  /** Default: the `PORT` environment variable, else 8080; 0 picks a free port. */
  port?: number;
  /**
   * Default: the `HOST` environment variable, else '127.0.0.1'. In a container or behind a load
   * balancer on another machine, '0.0.0.0' (or '::'): `HOST=0.0.0.0 PORT=8080 node main.ts`.
   */
  host?: string;
  /** Most ms a client may take to send its request headers (Node's `headersTimeout`); 408 after. Default 60_000. */
  headersTimeoutMs?: number;
  /**
   * Most ms a client may take to send its whole request, headers and body (Node's `requestTimeout`):
   * the socket-level backstop of `limits.requestTimeoutMs`, which answers a slow body with 408 first.
   * Default `limits.requestTimeoutMs` + 1_000.
   */
  receiveTimeoutMs?: number;
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8080;
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
/** Node checks its header and request timeouts on this beat (its own default is 30 s). */
const MAX_CHECK_INTERVAL_MS = 30_000;

/** A listening server: where it listens and how to close it. */
export interface Listening {
  /** e.g. 'http://127.0.0.1:8080'. */
  url: string;
  port: number;
  host: string;
  /** The Node HTTP server (timeouts, events). */
  httpServer: Server;
  /**
   * Drain and stop: readiness 503 while requests are still served for `drainDelayMs` (when something
   * probed readiness), then the listener stops accepting, in-flight requests finish (streams too)
   * within `graceMs`, the models are disposed. Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Listen on a port with Node's HTTP server (through @hono/node-server, which aborts a request's
 * signal when its client disconnects, so the model stops working for nobody).
 *
 * Health probes are answered as load balancers send them: HTTP/1.0, and requests without a Host
 * header (haproxy's default `GET /v2/health/ready HTTP/1.0`), HTTP/1.1 ones included; such a
 * request's URL gets the listening address as its origin. `port` and `host` default to the `PORT`
 * and `HOST` environment variables.
 *
 * @example
 * const listening = await listen(createServer({ models: { iris } })); // PORT, HOST or 8080, 127.0.0.1
 * closeOnSignals(listening); // SIGTERM / SIGINT: drain, then exit
 */
export async function listen(server: MlkitServer, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? (process.env.HOST || DEFAULT_HOST);
  const port = options.port ?? portFromEnvironment(process.env.PORT);
  const receiveTimeoutMs = options.receiveTimeoutMs ?? server.limits.requestTimeoutMs + 1_000;
  // Node refuses a headersTimeout above requestTimeout.
  const headersTimeoutMs = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, receiveTimeoutMs);
  const httpServer = createHttpServer({
    headersTimeout: headersTimeoutMs,
    requestTimeout: receiveTimeoutMs,
    // A timeout is enforced at the next check: checking at a quarter of it keeps it within 25 %.
    connectionsCheckingInterval: Math.max(
      10,
      Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(headersTimeoutMs / 4)),
    ),
    // RFC 9112 wants a 400 for an HTTP/1.1 request without Host; this server has one origin and
    // routes by path alone, and a 400 to a Host-less health check marks every replica down.
    requireHostHeader: false,
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      // Attached before any connection is read (they come after this callback): a request without
      // Host gets the address it reached as its URL's origin, its headers stay as sent.
      const address = httpServer.address() as AddressInfo;
      httpServer.on(
        'request',
        getRequestListener((request: Request) => server.fetch(request), {
          hostname: `${urlHost(host)}:${address.port}`,
        }),
      );
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const stopListening = () => {
    // Stops accepting connections and closes the idle kept-alive ones; busy ones end with their answer.
    stopped ??= new Promise<void>((resolve) => httpServer.close(() => resolve()));
  };
  return {
    url: `http://${urlHost(host)}:${address.port}`,
    port: address.port,
    host,
    httpServer,
    close(closeOptions = {}) {
      closing ??= (async () => {
        await server.close({
          ...closeOptions,
          onStopAccepting: () => {
            stopListening();
            closeOptions.onStopAccepting?.();
          },
        });
        // When server.close() had already run on its own, the listener is still open.
        stopListening();
        // Every response has finished; what is left are idle keep-alive connections.
        httpServer.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

/** Options of `closeOnSignals()`: those of `close()`, and which signals, and whether to exit after. */
export interface CloseOnSignalsOptions extends CloseOptions {
  /** Default ['SIGTERM', 'SIGINT']. */
  signals?: NodeJS.Signals[];
  /** Exit the process once closed (keeping `process.exitCode`). Default true. */
  exit?: boolean;
}

/**
 * Close with the drain on SIGTERM (Kubernetes, Docker, systemd) and SIGINT (Ctrl-C); a second signal
 * exits at once with 128 + the signal's number. Returns a function that removes the handlers.
 *
 * @example
 * const listening = await listen(server);
 * closeOnSignals(listening, { graceMs: 10_000 });
 */
export function closeOnSignals(
  listening: Pick<Listening, 'close'>,
  options: CloseOnSignalsOptions = {},
): () => void {
  const { signals = ['SIGTERM', 'SIGINT'], exit = true, ...closeOptions } = options;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      process.exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    closing = true;
    listening.close(closeOptions).then(
      () => {
        if (exit) process.exit();
      },
      (error: unknown) => {
        console.error(`close() on ${signal} failed`, error);
        process.exitCode = 1;
        if (exit) process.exit();
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}

/** `PORT` as a port number; unset or empty means the default. */
function portFromEnvironment(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) {
    throw new InvalidInputError(
      `PORT must be a port number from 0 to 65535 (got ${JSON.stringify(value)}); set PORT=8080 or pass listen(server, { port })`,
      { issues: [{ path: 'PORT', message: 'expected an integer from 0 to 65535' }] },
    );
  }
  return port;
}

/** A host as it is written in a URL: an IPv6 address in brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
