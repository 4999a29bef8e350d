/**
 * `@mlkit/server/node` — listen on a port with Node's HTTP server.
 *
 * @module @mlkit/server/node
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { CloseOptions, MlkitServer } from './server.ts';

/** Options of `listen()`. */
export interface ListenOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'; '0.0.0.0' (or '::') to accept connections from other machines. */
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
  /** Stop accepting connections, drain in-flight requests (streams too), dispose the models. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Listen on a port with Node's HTTP server (through @hono/node-server, which aborts a request's
 * signal when its client disconnects, so the model stops working for nobody).
 *
 * @example
 * const { url, close } = await listen(createServer({ models: { iris } }), { port: 8080 });
 * process.once('SIGTERM', () => close({ graceMs: 10_000 }));
 */
export async function listen(server: MlkitServer, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  const receiveTimeoutMs = options.receiveTimeoutMs ?? server.limits.requestTimeoutMs + 1_000;
  // Node refuses a headersTimeout above requestTimeout.
  const headersTimeoutMs = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, receiveTimeoutMs);
  const httpServer = createAdaptorServer({
    fetch: (request: Request) => server.fetch(request),
    serverOptions: {
      headersTimeout: headersTimeoutMs,
      requestTimeout: receiveTimeoutMs,
      // A timeout is enforced at the next check: checking at a quarter of it keeps it within 25 %.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(headersTimeoutMs / 4)),
      ),
    },
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 8080, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    host,
    httpServer,
    close(closeOptions) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await server.close(closeOptions);
        // Every response has finished; what is left are idle keep-alive connections.
        httpServer.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
