/**
 * Media URLs in requests (image and audio inputs, chat image parts), so that no request can make
 * the server reach an address it should not (server-side request forgery). The server fetches an
 * `http(s):` URL only when `mediaUrls.allowHosts` lists its host, within `maxBytes` and
 * `timeoutMs`; redirects are followed only to allowed hosts; a host that resolves to a loopback,
 * private, link-local or other non-public address is refused unless listed by its exact name.
 * `data:` URLs are always accepted (within `maxBytes`) and passed on as they are. A local model
 * gets the bytes of an http(s) URL, never the URL (local decoders would fetch it themselves). A hosted model (`capabilities.local === false`) gets allowed URLs as they are, for its
 * service to fetch (the OpenAI API reads `image_url` itself); the allow list applies to it too,
 * since that service may sit on the same private network.
 */
import { InvalidInputError, type TaskName } from '@mlkit/core';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { HttpError } from './errors.ts';

/** Schema of the `mediaUrls` option. */
export const MediaUrls = z.strictObject({
  /**
   * Hosts the server may fetch media from: exact names (`images.example.com`, `127.0.0.1`) or
   * `*.example.com` for its subdomains. Empty by default: no URL is fetched. Only an exact name may
   * resolve to a private or loopback address.
   */
  allowHosts: z.array(z.string().min(1)).default([]),
  /** Largest media file fetched (or held in a data: URL), in bytes. Default 10 MiB. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  /** Deadline for fetching one URL (redirects included), in ms. Default 10_000. */
  timeoutMs: z.number().positive().default(10_000),
  /** Redirects followed per URL, each checked against `allowHosts`. Default 3; 0 refuses redirects. */
  maxRedirects: z.number().int().nonnegative().default(3),
});
/** Which media URLs the server fetches, and within which limits (off by default). */
export type MediaUrls = z.input<typeof MediaUrls>;
/** The `mediaUrls` option with its defaults filled in. */
export type ResolvedMediaUrls = z.output<typeof MediaUrls>;

/** Resolves a host name to its addresses; `node:dns` by default. */
export type LookupHost = (host: string) => Promise<string[]>;

const defaultLookup: LookupHost = async (host) => {
  const dns = await import('node:dns/promises');
  return (await dns.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
};

const isUrlText = (value: unknown): value is string =>
  typeof value === 'string' && /^(https?|data):/i.test(value.slice(0, 8));

function refused(path: string, message: string, status = 400, code = 'media_url_refused'): HttpError {
  return new HttpError(status, `${path}: ${message}`, { code, param: path });
}

/** The bytes and media type of a data: URL, within `maxBytes`. */
function readDataUrl(url: string, path: string, maxBytes: number): { bytes: Uint8Array; mediaType: string } {
  const match = /^data:([^,]*?),(.*)$/is.exec(url);
  if (!match) throw refused(path, 'a data: URL needs a comma before its data');
  const meta = match[1]!;
  const payload = match[2]!;
  const base64 = /;base64$/i.test(meta);
  // A base64 payload of n characters holds about 3n/4 bytes: refused before it is decoded.
  if ((base64 ? Math.floor((payload.length * 3) / 4) : payload.length) > maxBytes * (base64 ? 1 : 3)) {
    throw refused(
      path,
      `the data: URL holds more than mediaUrls.maxBytes (${maxBytes}) bytes`,
      413,
      'media_too_large',
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = base64
      ? Uint8Array.from(atob(payload.replace(/\s+/g, '')), (char) => char.charCodeAt(0))
      : new TextEncoder().encode(decodeURIComponent(payload));
  } catch {
    throw refused(path, 'the data: URL does not decode (bad base64 or percent-encoding)');
  }
  if (bytes.byteLength > maxBytes) {
    throw refused(
      path,
      `the data: URL holds more than mediaUrls.maxBytes (${maxBytes}) bytes`,
      413,
      'media_too_large',
    );
  }
  return {
    bytes,
    mediaType: meta
      .replace(/;base64$/i, '')
      .split(';')[0]!
      .trim()
      .toLowerCase(),
  };
}

/** A response body within `maxBytes`, the read stopped as soon as it is passed. */
async function readAtMost(response: Response, maxBytes: number, path: string): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {});
      throw refused(path, `the file is larger than mediaUrls.maxBytes (${maxBytes})`, 413, 'media_too_large');
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** The server's fetcher of media URLs. */
export class MediaFetcher {
  readonly #options: ResolvedMediaUrls;
  readonly #lookup: LookupHost;
  readonly #fetch: typeof fetch;

  constructor(options: ResolvedMediaUrls, lookup: LookupHost = defaultLookup, fetcher: typeof fetch = fetch) {
    this.#options = options;
    this.#lookup = lookup;
    this.#fetch = fetcher;
  }

  /** Whether the allow list names `host` exactly (then it may be a private address). */
  #listed(host: string): 'exact' | 'pattern' | undefined {
    let match: 'exact' | 'pattern' | undefined;
    for (const entry of this.#options.allowHosts) {
      const allowed = entry.toLowerCase().replace(/^\[|\]$/g, '');
      if (allowed === host) return 'exact';
      if (allowed.startsWith('*.') && host.endsWith(allowed.slice(1))) match = 'pattern';
    }
    return match;
  }

  /** Refuses a URL the options do not allow; resolves its host to check its addresses. */
  async check(url: URL, path: string): Promise<void> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw refused(path, `only http(s): and data: URLs are read (got ${url.protocol})`);
    }
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const listed = this.#listed(host);
    if (!listed) {
      throw refused(
        path,
        `the server does not fetch URLs from "${host}"; send the file's bytes or a data: URL, or allow the host with createServer({ mediaUrls: { allowHosts: ['${host}'] } })`,
      );
    }
    if (listed === 'exact') return;
    const addresses = ipaddr.isValid(host) ? [host] : await this.#lookup(host).catch(() => []);
    if (addresses.length === 0) throw refused(path, `the host "${host}" does not resolve`);
    for (const address of addresses) {
      const range = ipaddr.process(address).range();
      if (range !== 'unicast') {
        throw refused(
          path,
          `"${host}" resolves to a ${range} address (${address}); list the host by its exact name in mediaUrls.allowHosts to allow it`,
        );
      }
    }
  }

  /** The bytes behind an allowed URL, redirects re-checked, within `maxBytes` and `timeoutMs`. */
  async fetch(
    url: string,
    path: string,
    signal: AbortSignal,
  ): Promise<{ bytes: Uint8Array; mediaType: string }> {
    const { maxBytes, timeoutMs, maxRedirects } = this.#options;
    const deadline = AbortSignal.timeout(timeoutMs);
    const both = AbortSignal.any([signal, deadline]);
    let current = new URL(url);
    try {
      for (let redirects = 0; ; redirects++) {
        await this.check(current, path);
        const response = await this.#fetch(current, { redirect: 'manual', signal: both });
        if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
          await response.body?.cancel();
          if (redirects >= maxRedirects) {
            throw refused(path, `the URL redirects more than mediaUrls.maxRedirects (${maxRedirects}) times`);
          }
          current = new URL(response.headers.get('location')!, current);
          continue;
        }
        if (!response.ok) {
          await response.body?.cancel();
          throw refused(
            path,
            `fetching ${current.host} answered HTTP ${response.status}`,
            400,
            'media_url_failed',
          );
        }
        const declared = Number(response.headers.get('content-length') ?? Number.NaN);
        if (declared > maxBytes) {
          await response.body?.cancel();
          throw refused(
            path,
            `the file is larger than mediaUrls.maxBytes (${maxBytes})`,
            413,
            'media_too_large',
          );
        }
        const bytes = await readAtMost(response, maxBytes, path);
        const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        return { bytes, mediaType };
      }
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (deadline.aborted && !signal.aborted) {
        throw refused(
          path,
          `fetching the URL took longer than mediaUrls.timeoutMs (${timeoutMs} ms)`,
          400,
          'media_url_timeout',
        );
      }
      if (signal.aborted) throw signal.reason;
      throw refused(path, `fetching the URL failed: ${(error as Error).message}`, 400, 'media_url_failed');
    }
  }

  /**
   * One media value of a request as the model gets it: data: URLs as they are (checked); for a
   * local model the bytes (with their media type) of an http(s) URL, for a hosted one the allowed URL.
   */
  async resolve(
    value: string | URL,
    path: string,
    local: boolean,
    signal: AbortSignal,
  ): Promise<{ bytes: Uint8Array; mediaType: string } | string | URL> {
    const text = value instanceof URL ? value.href : value;
    if (/^data:/i.test(text)) {
      // Checked (size, encoding) and passed on as it is: it names no host, and models read data: URLs.
      readDataUrl(text, path, this.#options.maxBytes);
      return value;
    }
    if (!local) {
      await this.check(new URL(text), path);
      return value;
    }
    return this.fetch(text, path, signal);
  }
}

type Resolve = (
  value: string | URL,
  path: string,
) => Promise<{ bytes: Uint8Array; mediaType: string } | string | URL>;

const isMediaUrl = (value: unknown): value is string | URL => value instanceof URL || isUrlText(value);

/** An image or audio input field with its URL replaced by bytes (a hosted model's kept). */
async function resolveSource(value: unknown, path: string, resolve: Resolve): Promise<unknown> {
  if (!isMediaUrl(value)) return value;
  const resolved = await resolve(value, path);
  return typeof resolved === 'string' || resolved instanceof URL ? resolved : resolved.bytes;
}

async function resolveList(value: unknown, path: string, resolve: Resolve): Promise<unknown> {
  if (!Array.isArray(value)) return resolveSource(value, path, resolve);
  return Promise.all(value.map((item, index) => resolveSource(item, `${path}[${index}]`, resolve)));
}

type Input = Record<string, unknown>;

/** Whether a (validated) input holds a media URL anywhere: walks arrays and plain objects only. */
function holdsUrl(value: unknown, depth = 0): boolean {
  if (isMediaUrl(value)) return true;
  if (depth > 6 || typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) return value.some((item) => holdsUrl(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).some((item) => holdsUrl(item, depth + 1));
}

/** Where each task's inputs carry media, as a table (a task without media has no row). */
const MEDIA_FIELDS: Partial<Record<TaskName, (input: Input, resolve: Resolve) => Promise<Input>>> = {
  'image-classification': async (input, resolve) => ({
    ...input,
    image: await resolveList(input.image, 'input.image', resolve),
  }),
  'object-detection': async (input, resolve) => ({
    ...input,
    image: await resolveList(input.image, 'input.image', resolve),
  }),
  'speech-to-text': async (input, resolve) => ({
    ...input,
    audio: await resolveSource(input.audio, 'input.audio', resolve),
  }),
  'text-generation': async (input, resolve) => {
    if (!Array.isArray(input.messages)) return input;
    const messages = await Promise.all(
      (input.messages as Input[]).map(async (message, m) => {
        if (!Array.isArray(message.content)) return message;
        const content = await Promise.all(
          (message.content as Input[]).map(async (part, p) => {
            if (part.type !== 'image' || !isMediaUrl(part.image)) return part;
            const resolved = await resolve(part.image, `input.messages[${m}].content[${p}].image`);
            if (typeof resolved === 'string' || resolved instanceof URL) return part;
            if (!resolved.mediaType.startsWith('image/')) {
              throw new InvalidInputError(
                `input.messages[${m}].content[${p}].image is not an image (the URL answered "${resolved.mediaType || 'no Content-Type'}")`,
                { issues: [{ path: `input.messages[${m}].content[${p}].image`, message: 'not an image' }] },
              );
            }
            return { ...part, image: resolved.bytes, mediaType: resolved.mediaType };
          }),
        );
        return { ...message, content };
      }),
    );
    return { ...input, messages };
  },
};

/**
 * The one step every decoded task input takes before its model runs: media URLs checked against
 * `mediaUrls` and, for a local model, replaced by the bytes they name.
 */
export function mediaUrlResolver(
  options: ResolvedMediaUrls,
  lookup?: LookupHost,
): (task: string, input: unknown, local: boolean, signal: AbortSignal) => unknown {
  const fetcher = new MediaFetcher(options, lookup);
  // Synchronous for tasks without media, so that their requests queue in the caller's tick.
  return (task, input, local, signal) => {
    const fields = MEDIA_FIELDS[task as TaskName];
    if (!fields || typeof input !== 'object' || input === null || !holdsUrl(input)) return input;
    return fields(input as Input, (value, path) => fetcher.resolve(value, path, local, signal));
  };
}
