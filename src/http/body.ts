/** A response body read as text, and whether it was cut at the limit. */
export interface LimitedText {
  text: string;
  /** True when the body had more than `maxBytes`: the read stopped there and the body was cancelled. */
  truncated: boolean;
}

/**
 * Read a response body as UTF-8 text, at most `maxBytes` of it. Past the limit the body is
 * cancelled (which closes the connection) instead of being buffered: a server that never ends its
 * body must not grow the process without bound. A Content-Length over the limit stops at once.
 */
export async function readLimitedText(response: Response, maxBytes: number): Promise<LimitedText> {
  const body = response.body;
  if (!body) return { text: '', truncated: false };
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    void body.cancel().catch(() => {});
    return { text: '', truncated: true };
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      parts.push(decoder.decode(value.subarray(0, maxBytes - size), { stream: true }));
      void reader.cancel().catch(() => {});
      return { text: parts.join(''), truncated: true };
    }
    size += value.byteLength;
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return { text: parts.join(''), truncated: false };
}

/** A response body's bytes, and whether it was cut at the limit (then the body was cancelled). */
export interface LimitedBytes {
  bytes: Uint8Array;
  truncated: boolean;
}

/** Read a response body's bytes, at most `maxBytes` of them (the same limits as `readLimitedText`). */
export async function readLimitedBytes(response: Response, maxBytes: number): Promise<LimitedBytes> {
  const body = response.body;
  if (!body) return { bytes: new Uint8Array(0), truncated: false };
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    void body.cancel().catch(() => {});
    return { bytes: new Uint8Array(0), truncated: true };
  }
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      void reader.cancel().catch(() => {});
      return { bytes: new Uint8Array(0), truncated: true };
    }
    size += value.byteLength;
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return { bytes, truncated: false };
}
