import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import type { ModelEvent } from '../../src/model.ts';

/** A schema any JSON object passes; tests look at the request side. */
export const anyObject = z.record(z.string(), z.unknown());

/** Collects every ModelEvent a transport emits. */
export function eventLog() {
  const events: ModelEvent[] = [];
  return {
    events,
    onEvent: (event: ModelEvent) => events.push(event),
    of: (type: ModelEvent['type']) => events.filter((e) => e.type === type),
  };
}

/** Settle a promise into `{ error }` so tests can inspect a rejection. */
export async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export interface LoopbackServer {
  url: string;
  /** Sockets opened so far, and which of them have closed. */
  sockets: Socket[];
  closed: Set<Socket>;
  requests: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0, for socket-level behaviour msw cannot show. */
export async function loopback(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<LoopbackServer> {
  const state = { sockets: [] as Socket[], closed: new Set<Socket>(), requests: 0 };
  const server = createServer((req, res) => handler(req, res, ++state.requests));
  server.on('connection', (socket) => {
    state.sockets.push(socket);
    socket.on('close', () => state.closed.add(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get sockets() {
      return state.sockets;
    },
    closed: state.closed,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of state.sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Wait until `check` holds, polling every 5 ms, for at most `ms`. */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
