import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { CloseOptions, MlkitServer } from './server.ts';

export interface ListenOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'; '0.0.0.0' (or '::') to accept connections from other machines. */
  host?: string;
}

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
  const httpServer = createAdaptorServer({ fetch: (request: Request) => server.fetch(request) }) as Server;
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
