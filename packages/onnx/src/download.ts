import { abortErrorOf, ModelLoadError } from '@mlkit/core';
import type { ProgressEvent } from './options.ts';
import type { DownloadCache } from './runtime.ts';

export interface DownloadOptions {
  cache: DownloadCache | undefined;
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** The name progress events carry (the file's path in its folder). */
  file: string;
}

/**
 * Fetch `url` with progress events, from the cache when it holds it. Resolves undefined for a
 * 404 (an optional file a folder does not have), which is cached too so a second load makes no request.
 */
export async function download(url: string, options: DownloadOptions): Promise<Uint8Array | undefined> {
  const { cache, onProgress, signal, file } = options;
  const cached = await cache?.get(url).catch(() => undefined);
  if (cached === null) return undefined;
  if (cached) {
    onProgress?.({ file, loaded: cached.byteLength, total: cached.byteLength });
    return cached;
  }
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw abortErrorOf(signal);
    throw new ModelLoadError(`Cannot download ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    await cache?.put(url, null).catch(() => undefined);
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ModelLoadError(`Cannot download ${url}: HTTP ${response.status} ${response.statusText}`, {
      status: response.status,
    });
  }
  const bytes = await readBody(response, file, onProgress, signal);
  await cache?.put(url, bytes).catch(() => undefined); // a full disk must not fail the load
  return bytes;
}

async function readBody(
  response: Response,
  file: string,
  onProgress: DownloadOptions['onProgress'],
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ file, loaded: bytes.byteLength, total: total ?? bytes.byteLength });
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  try {
    onProgress?.({ file, loaded: 0, total });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      onProgress?.({ file, loaded, total });
    }
  } catch (error) {
    if (signal?.aborted) throw abortErrorOf(signal);
    throw new ModelLoadError(`Download of ${response.url} broke off after ${loaded} bytes`, { cause: error });
  }
  if (total !== undefined && loaded !== total) {
    throw new ModelLoadError(`Download of ${response.url} ended after ${loaded} of ${total} bytes`);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
