import { abortErrorOf, deadline, NetworkError } from '@mlkit/core';
import { errorFromResponse, readLimitedBytes } from '@mlkit/core/http';

/** How an image or audio URL is fetched: a time limit, a signal, and the fetch to use. */
export interface FetchMediaOptions {
  /** Limit for fetching the URL, in ms (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The fetch to use for http(s) URLs (default the global one). */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The bytes of an image or audio URL (data: or http(s)), read up to `maxBytes` within the time
 * limit; `tooLarge(where)` is the error past the limit. Messages name only the origin and path: a
 * signed URL's query string is a credential.
 */
export async function fetchMedia(
  url: URL,
  what: 'image' | 'audio',
  options: FetchMediaOptions,
  maxBytes: number,
  tooLarge: (where: string) => Error,
): Promise<Uint8Array> {
  const where = url.protocol === 'data:' ? 'the data: URL' : `${url.origin}${url.pathname}`;
  const limit = deadline(options.signal, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'total');
  try {
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(url, { signal: limit.signal });
    } catch (error) {
      if (limit.signal.aborted) throw abortErrorOf(limit.signal);
      throw new NetworkError(`Cannot fetch the ${what} at ${where}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!response.ok) throw await errorFromResponse(response, `the ${what} URL ${where}`);
    const { bytes, truncated } = await readLimitedBytes(response, maxBytes).catch((error) => {
      throw limit.signal.aborted ? abortErrorOf(limit.signal) : error;
    });
    if (truncated) throw tooLarge(`The ${what} at ${where}`);
    return bytes;
  } finally {
    limit.clear();
  }
}
