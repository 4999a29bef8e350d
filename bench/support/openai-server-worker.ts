/**
 * The loopback OpenAI-compatible test server (test/support/openai-server.ts) on its own thread, so
 * that a benchmark's client runs alone on the main thread's event loop and the server's work is not
 * billed to whichever client is being measured.
 *
 * @example
 * const server = await startOpenAIServerInWorker({ apiKey: 'sk-bench' });
 * // ... requests to server.url ...
 * const { requests } = await server.close();
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type OpenAIServerOptions, startOpenAIServer } from '../../test/support/openai-server.ts';

/** Options that can cross a thread boundary (no `fault` function). */
export type WorkerServerOptions = Omit<OpenAIServerOptions, 'fault'>;

export interface WorkerServer {
  /** Base URL including `/v1`. */
  url: string;
  /** Stop the server and the thread; resolves with the number of HTTP requests it received. */
  close(): Promise<{ requests: number; clientClosed: number }>;
}

/** Start the test server on a worker thread; resolves once it listens. */
export async function startOpenAIServerInWorker(options: WorkerServerOptions = {}): Promise<WorkerServer> {
  const worker = new Worker(new URL(import.meta.url), { workerData: options });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { url: string }) => resolve(message.url));
    worker.once('error', reject);
  });
  return {
    url,
    close: async () => {
      const closed = new Promise<{ requests: number; clientClosed: number }>((resolve) =>
        worker.once('message', resolve),
      );
      worker.postMessage('close');
      const stats = await closed;
      await worker.terminate();
      return stats;
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const server = await startOpenAIServer(workerData as WorkerServerOptions);
  port.on('message', async (message: unknown) => {
    if (message !== 'close') return;
    await server.close();
    port.postMessage({ requests: server.stats.requests, clientClosed: server.stats.clientClosed });
  });
  port.postMessage({ url: server.url });
}
