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

/**
 * Read a JSON request body: 415 unless it is JSON (a missing Content-Type is taken as JSON, as
 * curl users forget it), 413 when Content-Length or the bytes actually read pass `maxBodyBytes`
 * (a client may lie or stream without a length), 400 when it is empty or not JSON.
 */
export async function readJson(request: Request, maxBodyBytes: number): Promise<unknown> {
  const contentType = request.headers.get('content-type');
  if (contentType !== null && !isJsonType(contentType)) {
    throw new HttpError(
      415,
      `Send the body as JSON with Content-Type: application/json (got "${contentType.slice(0, 80)}")`,
      {
        code: 'unsupported_media_type',
      },
    );
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBodyBytes) throw tooLarge(maxBodyBytes);
  let bytes: Uint8Array;
  if (declared !== null && !request.headers.has('transfer-encoding')) {
    // HTTP framing stops a body at its Content-Length, so reading it whole is safe (and fast: Node's
    // adapter reads the socket directly). The size check still runs for Requests built in code.
    bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBodyBytes) throw tooLarge(maxBodyBytes);
  } else {
    if (!request.body) throw new HttpError(400, 'The request needs a JSON body', { code: 'invalid_json' });
    bytes = await readLimited(request.body, maxBodyBytes);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'The request body is not valid UTF-8', { code: 'invalid_json' });
  }
  if (text.trim() === '')
    throw new HttpError(400, 'The request body is empty; send a JSON object', { code: 'invalid_json' });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `The request body is not valid JSON: ${(error as Error).message}`, {
      code: 'invalid_json',
    });
  }
}

/** A body of unknown length (chunked), read while counting: too many bytes stop the read at once. */
async function readLimited(body: ReadableStream<Uint8Array>, maxBodyBytes: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBodyBytes) {
      void reader.cancel().catch(() => {});
      throw tooLarge(maxBodyBytes);
    }
    parts.push(value);
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
