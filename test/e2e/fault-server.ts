/**
 * A loopback HTTP server (node:http, port 0) for fault-injection runs of any provider: `answer`
 * gives the normal reply to a request, `fault` may replace it with a status, a reset, a stall, a
 * stall or a cut in the middle of the body, or a body that is not JSON. Attempts are counted per
 * logical call by `x-request-id`, with the fault each attempt got.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does instead of its normal answer. */
export type ServerFault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'reset' }
  | { kind: 'stall' }
  | { kind: 'stall-mid-body' }
  | { kind: 'truncated' }
  | { kind: 'not-json' };

/** A normal reply: a body (JSON when `json` is given), or server-sent events. */
export type Reply =
  | { json: unknown; headers?: Record<string, string> }
  | { bytes: Uint8Array; headers: Record<string, string> }
  | { events: unknown[] };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Uint8Array;
  /** 1 for a call's first attempt, 2 for its first retry, ... */
  attempt: number;
}

export interface FaultServer {
  url: string;
  /** The faults (undefined for a normal answer) each call's attempts got, in order, by `x-request-id`. */
  calls: Map<string, (ServerFault | undefined)[]>;
  close(): Promise<void>;
}

/** A fault chooser: each attempt gets one of `faults` with probability `rate`, picked by `random`. */
export function randomServerFaults(
  faults: readonly ServerFault[],
  rate: number,
  random: () => number,
): () => ServerFault | undefined {
  return () => (random() < rate ? faults[Math.floor(random() * faults.length)] : undefined);
}

const sse = (event: unknown) => `data: ${JSON.stringify(event)}\n\n`;

function body(reply: Exclude<Reply, { events: unknown[] }>): {
  bytes: Buffer;
  headers: Record<string, string>;
} {
  if ('json' in reply) {
    return {
      bytes: Buffer.from(JSON.stringify(reply.json)),
      headers: { 'content-type': 'application/json', ...reply.headers },
    };
  }
  return { bytes: Buffer.from(reply.bytes), headers: reply.headers };
}

function send(
  res: ServerResponse,
  reply: Reply,
  fault: ServerFault | undefined,
  stalled: Set<ServerResponse>,
) {
  if ('events' in reply) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events = reply.events.map(sse);
    if (fault?.kind === 'not-json') {
      res.end(`${events[0]}data: <html>busy</html>\n\n`);
      return;
    }
    if (fault?.kind === 'stall-mid-body' || fault?.kind === 'truncated') {
      res.write(events[0]);
      if (fault.kind === 'truncated') setImmediate(() => res.destroy());
      else stalled.add(res);
      return;
    }
    res.end(events.join(''));
    return;
  }
  const { bytes, headers } = body(reply);
  if (fault?.kind === 'not-json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('<html>502 Bad Gateway</html>');
    return;
  }
  if (fault?.kind === 'stall-mid-body' || fault?.kind === 'truncated') {
    res.writeHead(200, { ...headers, 'content-length': String(bytes.byteLength) });
    res.write(bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
    if (fault.kind === 'truncated') setImmediate(() => res.destroy());
    else stalled.add(res);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(bytes.byteLength) });
  res.end(bytes);
}

/** Start the server; `answer` may throw to make a 500 (a bug in the test's model shows as such). */
export async function startFaultServer(options: {
  answer: (request: ReceivedRequest) => Reply;
  fault: (request: ReceivedRequest) => ServerFault | undefined;
}): Promise<FaultServer> {
  const calls = new Map<string, (ServerFault | undefined)[]>();
  const stalled = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const id = String(req.headers['x-request-id'] ?? 'none');
      const seen = calls.get(id) ?? [];
      calls.set(id, seen);
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        headers: req.headers,
        body: new Uint8Array(Buffer.concat(chunks)),
        attempt: seen.length + 1,
      };
      const fault = options.fault(request);
      seen.push(fault);
      if (fault?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'stall') {
        stalled.add(res);
        return;
      }
      if (fault?.kind === 'status') {
        res.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfter !== undefined && { 'retry-after': fault.retryAfter }),
        });
        res.end(JSON.stringify({ error: `injected ${fault.status}` }));
        return;
      }
      let reply: Reply;
      try {
        reply = options.answer(request);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `test server: ${String(error)}` }));
        return;
      }
      send(res, reply, fault, stalled);
    });
  });
  server.on('connection', (socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
