// Requests written byte by byte on a node:net socket, as health probes and load balancers send them
// (HTTP/1.0, no Host header, garbage), read until the server closes the connection.
import { connect } from 'node:net';

/** What came back on the socket: the status line, headers (lower-case names), body, and who closed. */
export interface RawAnswer {
  raw: string;
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server ended the connection after its answer (the client never closes first here). */
  closedByServer: boolean;
}

/** How long a raw exchange may take before the test fails instead of hanging (not a timing assertion). */
const SAFETY_MS = 10_000;

/** Send `request` as is to 127.0.0.1:`port` and read until the server closes the connection. */
export function rawRequest(port: number, request: string, host = '127.0.0.1'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let ended = false;
    const safety = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no end of the answer within ${SAFETY_MS} ms; got: ${Buffer.concat(chunks).toString()}`),
      );
    }, SAFETY_MS);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      ended = true;
    });
    socket.on('error', (error) => {
      clearTimeout(safety);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(safety);
      const raw = Buffer.concat(chunks).toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      const head = split >= 0 ? raw.slice(0, split) : raw;
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        raw,
        statusLine,
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: readBody(split >= 0 ? raw.slice(split + 4) : '', headers),
        closedByServer: ended,
      });
    });
  });
}

/** The body without chunked framing, checked to be whole (each chunk as long as it says, the last one 0). */
function readBody(rest: string, headers: Record<string, string>): string {
  if (headers['transfer-encoding'] !== 'chunked') return rest;
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error(`chunked body cut short: ${JSON.stringify(rest)}`);
    const size = Number.parseInt(rest.slice(at, lineEnd), 16);
    if (size === 0) return body;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** Whether a new TCP connection to 127.0.0.1:`port` is accepted ('connected') or refused. */
export function tryConnect(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve('refused');
      else reject(error);
    });
  });
}
