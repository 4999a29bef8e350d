import { ImageSource, InvalidInputError, type RawImage, ResponseTooLargeError } from '@mlkit/core';
import { type FetchMediaOptions, fetchMedia } from './fetch-media.ts';

/** How an image given as a URL is fetched. */
export interface DecodeImageOptions extends FetchMediaOptions {
  /** Largest encoded image a URL may return, in bytes (default 20 MiB); past it the read stops. */
  maxResponseBytes?: number;
}

/** Turns encoded bytes into pixels: what differs between Node (libraries) and browsers (web APIs). */
export interface ImageDecoder {
  decode(bytes: Uint8Array): Promise<RawImage>;
  /** The formats it reads, in words for an error message, e.g. 'PNG, JPEG'. */
  accepted(): Promise<string>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

/** The format an encoded image's first bytes say it is, or undefined when they say none we know. */
export function sniffImageFormat(bytes: Uint8Array): string | undefined {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes[0] === 0x89 && ascii(1, 4) === 'PNG') return 'PNG';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'JPEG';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP';
  if (ascii(0, 4) === 'GIF8') return 'GIF';
  if (ascii(0, 2) === 'BM') return 'BMP';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'TIFF';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'AVIF';
    if (brand.startsWith('hei') || brand.startsWith('mif')) return 'HEIF';
  }
  if (/^\s*</.test(ascii(0, 64))) return 'SVG or another XML/HTML text';
  return undefined;
}

/** What the first bytes look like, for an error message: the format, or the bytes in hex. */
export function describeImageBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'no bytes';
  const format = sniffImageFormat(bytes);
  if (format) return `a ${format} file`;
  const hex = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return `bytes of no known image format (starting ${hex})`;
}

/** The error for bytes a decoder cannot read: what it saw and what it reads. */
export function undecodableImage(bytes: Uint8Array, accepted: string, cause?: unknown): InvalidInputError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new InvalidInputError(
    `Cannot decode the image: got ${describeImageBytes(bytes)}${reason}; accepted: ${accepted} (or raw pixels { data, width, height, channels })`,
    { cause },
  );
}

/** Encoded bytes of a URL, Uint8Array, ArrayBuffer or Blob source. */
async function bytesOf(
  source: Exclude<ImageSource, RawImage>,
  options: DecodeImageOptions,
): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === 'string' || source instanceof URL)
    return fetchMedia(
      new URL(source),
      'image',
      options,
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      (where) =>
        new ResponseTooLargeError(
          `${where} is larger than maxResponseBytes (${options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES} bytes); raise it or pass a smaller image`,
          { limitBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES },
        ),
    );
  return new Uint8Array(await source.arrayBuffer());
}

function isRawImage(source: ImageSource): source is RawImage {
  return typeof source === 'object' && 'data' in source && 'width' in source;
}

/**
 * Decode one image to pixels with the platform's decoder: a URL (data: always, http(s) fetched with
 * `maxResponseBytes` and `timeoutMs`), encoded bytes, or a Blob; raw pixels pass through checked.
 */
export async function decodeImageWith(
  decoder: ImageDecoder,
  source: ImageSource,
  options: DecodeImageOptions = {},
): Promise<RawImage> {
  const parsed = ImageSource.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `image.${issue.path.join('.')}` : 'image';
    throw new InvalidInputError(
      `${path}: ${issue?.message ?? 'invalid'}; pass an http(s)/data URL, encoded bytes (Uint8Array, ArrayBuffer, Blob) or raw pixels { data, width, height, channels }`,
      { issues: parsed.error.issues.map((each) => ({ path, message: each.message })) },
    );
  }
  if (isRawImage(source)) return source;
  const bytes = await bytesOf(source, options);
  if (bytes.length === 0) throw undecodableImage(bytes, await decoder.accepted());
  return decoder.decode(bytes);
}
