/** A response body read as text, and whether it was cut at the limit. */
export interface LimitedText {
  text: string;
  /** True when the body had more than `maxBytes`: the read stopped there and the body was cancelled. */
  truncated: boolean;
}

/**
 * Hand a response body's chunks to `take`, at most `maxBytes` in all (the chunk that passes the
 * limit is cut there); true when the body had more. Past the limit the body is cancelled (which
 * closes the connection) instead of being buffered: a server that never ends its body must not grow
 * the process without bound. A Content-Length over the limit stops at once, taking nothing.
 */
async function readChunks(
  response: Response,
  maxBytes: number,
  take: (chunk: Uint8Array) => void,
): Promise<boolean> {
  const body = response.body;
  if (!body) return false;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    void body.cancel().catch(() => {});
    return true;
  }
  const reader = body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    if (size + value.byteLength > maxBytes) {
      take(value.subarray(0, maxBytes - size));
      void reader.cancel().catch(() => {});
      return true;
    }
    size += value.byteLength;
    take(value);
  }
}

/** Read a response body as UTF-8 text, at most `maxBytes` of it (see `readChunks`). */
export async function readLimitedText(response: Response, maxBytes: number): Promise<LimitedText> {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  const truncated = await readChunks(response, maxBytes, (chunk) => {
    parts.push(decoder.decode(chunk, { stream: true }));
  });
  if (!truncated) parts.push(decoder.decode());
  return { text: parts.join(''), truncated };
}

/** A response body's bytes, and whether it was cut at the limit (then the body was cancelled). */
export interface LimitedBytes {
  bytes: Uint8Array;
  truncated: boolean;
}

/** Read a response body's bytes, at most `maxBytes` of them (see `readChunks`); none when truncated. */
export async function readLimitedBytes(response: Response, maxBytes: number): Promise<LimitedBytes> {
  const parts: Uint8Array[] = [];
  const truncated = await readChunks(response, maxBytes, (chunk) => {
    parts.push(chunk);
  });
  if (truncated) return { bytes: new Uint8Array(0), truncated };
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return { bytes, truncated };
}
