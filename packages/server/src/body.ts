import { isMlkitError, raceAbort } from '@mlkit/core';
import { HttpError } from './errors.ts';

// decode() without { stream: true } keeps no state between calls, so one decoder serves every request.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isJsonType(contentType: string): boolean {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'))
  );
}

function tooLarge(maxBodyBytes: number): HttpError {
  return new HttpError(
    413,
    `The request body is larger than ${maxBodyBytes} bytes; send less data per request`,
    {
      code: 'body_too_large',
    },
  );
}

/** What a request body may be; `limits.*` of the server options. */
export interface BodyLimits {
  maxBodyBytes: number;
  maxJsonDepth: number;
  /** Only named in the 408 message: the deadline itself is `signal`'s. */
  requestTimeoutMs: number;
}

/**
 * Read a JSON request body: 415 unless it is JSON (a missing Content-Type is taken as JSON, as
 * curl users forget it), 413 when Content-Length or the bytes actually read pass `maxBodyBytes`
 * (a client may lie or stream without a length), 400 when it is empty, not JSON or nested deeper
 * than `maxJsonDepth`. The read stops when `signal` fires: 408 past the request deadline, 499 when
 * the client has gone (shutdown's own error otherwise).
 */
export async function readJson(
  request: Request,
  limits: BodyLimits,
  signal: AbortSignal,
  parse: (text: string) => unknown = JSON.parse,
): Promise<unknown> {
  const contentType = request.headers.get('content-type');
  const notJson = () =>
    new HttpError(
      415,
      `Send the body as JSON with Content-Type: application/json (got "${contentType!.slice(0, 80)}")`,
      {
        code: 'unsupported_media_type',
      },
    );
  // `curl -d '{...}'` labels a JSON body as a form: it is read, and refused below unless it parses as JSON.
  const form = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '');
  if (contentType !== null && !form && !isJsonType(contentType)) throw notJson();
  const bytes = await readBytes(request, limits, signal);
  return parseJsonBytes(bytes, limits, parse, form ? notJson : undefined);
}

/** Content-Encodings a request body may have (DecompressionStream's formats; `deflate` is zlib, as HTTP means it). */
const ENCODINGS = new Set(['gzip', 'deflate']);

/**
 * Read a request body's bytes, decompressed when `Content-Encoding` is gzip or deflate: 413 when
 * Content-Length or the bytes read (after decompression, counted as they stream) pass
 * `maxBodyBytes`, 415 for another encoding, 400 for a corrupt compressed body; the read stops when
 * `signal` fires (408 / 499, as `readJson` says).
 */
export async function readBytes(
  request: Request,
  limits: BodyLimits,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const { maxBodyBytes } = limits;
  const encoding = request.headers.get('content-encoding')?.trim().toLowerCase();
  const compressed = encoding !== undefined && encoding !== '' && encoding !== 'identity';
  if (compressed && !ENCODINGS.has(encoding)) {
    throw new HttpError(
      415,
      `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send gzip, deflate or none`,
      {
        code: 'unsupported_media_type',
      },
    );
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBodyBytes) throw tooLarge(maxBodyBytes);
  try {
    if (compressed) {
      if (!request.body) throw new HttpError(400, 'The request needs a body', { code: 'invalid_json' });
      const body = request.body.pipeThrough(new DecompressionStream(encoding as CompressionFormat));
      try {
        return await readLimited(body, maxBodyBytes, signal);
      } catch (error) {
        if (error instanceof HttpError || signal.aborted || isConnectionError(error)) throw error;
        throw new HttpError(
          400,
          `The request body is not valid ${encoding} data: ${(error as Error).message}`,
          {
            code: 'invalid_encoding',
            cause: error,
          },
        );
      }
    }
    if (declared !== null && !request.headers.has('transfer-encoding')) {
      // HTTP framing stops a body at its Content-Length, so reading it whole is safe (and fast: Node's
      // adapter reads the socket directly). The size check still runs for Requests built in code.
      const bytes = new Uint8Array(await raceAbort(request.arrayBuffer(), signal));
      if (bytes.byteLength > maxBodyBytes) throw tooLarge(maxBodyBytes);
      return bytes;
    }
    if (!request.body) throw new HttpError(400, 'The request needs a JSON body', { code: 'invalid_json' });
    return await readLimited(request.body, maxBodyBytes, signal);
  } catch (error) {
    throw readFailure(error, signal, limits);
  }
}

/** JSON from body bytes: 400 when they are empty, not UTF-8, not JSON or nested deeper than `maxJsonDepth`. */
export function parseJsonBytes(
  bytes: Uint8Array,
  limits: Pick<BodyLimits, 'maxJsonDepth'>,
  parse: (text: string) => unknown = JSON.parse,
  /** The error when the text does not parse (a form body that is not JSON is a 415). */
  notParsed?: () => HttpError,
): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'The request body is not valid UTF-8', { code: 'invalid_json' });
  }
  if (text.trim() === '')
    throw new HttpError(400, 'The request body is empty; send a JSON object', { code: 'invalid_json' });
  // Before JSON.parse: a deep value parses fine but overflows the stack of whatever walks it later.
  if (jsonDepth(text, limits.maxJsonDepth) > limits.maxJsonDepth) {
    throw new HttpError(
      400,
      `The request body nests arrays/objects deeper than ${limits.maxJsonDepth} levels (limits.maxJsonDepth); send flatter JSON`,
      { code: 'json_too_deep' },
    );
  }
  try {
    return parse(text);
  } catch (error) {
    if (notParsed) throw notParsed();
    throw new HttpError(400, `The request body is not valid JSON: ${(error as Error).message}`, {
      code: 'invalid_json',
    });
  }
}

/**
 * How deep `[` and `{` nest outside strings, in one pass; stops counting once past `limit`.
 * Malformed JSON is left for JSON.parse to name.
 */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // a backslash escapes the next character, a quote too
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}

/** Why a body read stopped, as the status the client (or the log) should see. */
function readFailure(error: unknown, signal: AbortSignal, limits: BodyLimits): unknown {
  if (error instanceof HttpError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof HttpError) return reason; // shutdown gave up waiting
    if (isMlkitError(reason) && reason.code === 'timeout') {
      return new HttpError(
        408,
        `The request body did not arrive within limits.requestTimeoutMs (${limits.requestTimeoutMs} ms); send it faster or raise the limit`,
        { code: 'request_timeout', headers: { Connection: 'close' } },
      );
    }
  }
  // The connection broke mid-body (Node's adapter errors the stream, or aborts the request's signal,
  // which `signal` follows; request.signal itself is not read: see clientGone in server.ts).
  if (signal.aborted || isConnectionError(error)) {
    return new HttpError(499, 'The client closed the request while sending its body', {
      code: 'client_closed',
      cause: error,
    });
  }
  return error;
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE');
}

/**
 * Read a body while counting the total so far: too many bytes stop the read at once, and so does
 * `signal` (a body that trickles in must not hold the request past its deadline).
 */
async function readLimited(
  body: ReadableStream<Uint8Array>,
  maxBodyBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const stop = () => void reader.cancel(signal.reason).catch(() => {});
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw signal.reason;
      if (done) break;
      size += value.byteLength;
      if (size > maxBodyBytes) {
        void reader.cancel().catch(() => {});
        throw tooLarge(maxBodyBytes);
      }
      parts.push(value);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  return parts.length === 1 ? parts[0]! : concat(parts, size);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
