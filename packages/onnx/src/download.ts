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
 * What a download found: the bytes, or why there are none — `not found` (HTTP 404), or `html`: an
 * HTML page where a model file was asked for, as dev servers (Vite) answer a missing file with
 * index.html and status 200.
 */
export type Downloaded = { bytes: Uint8Array } | { missing: 'not found' | 'html' };

const HTML_START = /^\s*<(!doctype html|html)[\s>]/i;

function isHtml(bytes: Uint8Array): boolean {
  return HTML_START.test(new TextDecoder().decode(bytes.subarray(0, 64)));
}

/**
 * Fetch `url` with progress events, from the cache when it holds it. A 404 (an optional file a
 * folder does not have) or an HTML answer for a file that is not HTML is `missing` and is not
 * cached: the folder may get the file later.
 */
export async function download(url: string, options: DownloadOptions): Promise<Downloaded> {
  const { cache, onProgress, signal, file } = options;
  const expectsHtml = /\.html?$/i.test(file);
  const cached = await cache?.get(url).catch(() => undefined);
  if (cached) {
    onProgress?.({ file, loaded: cached.byteLength, total: cached.byteLength });
    return { bytes: cached };
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
    return { missing: 'not found' };
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ModelLoadError(`Cannot download ${url}: HTTP ${response.status} ${response.statusText}`, {
      status: response.status,
    });
  }
  if (!expectsHtml && /^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
    await response.body?.cancel();
    return { missing: 'html' };
  }
  const bytes = await readBody(response, file, onProgress, signal);
  if (!expectsHtml && isHtml(bytes)) return { missing: 'html' };
  await cache?.put(url, bytes).catch(() => undefined); // a full disk must not fail the load
  return { bytes };
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
