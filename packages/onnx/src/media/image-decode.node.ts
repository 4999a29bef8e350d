import type { ImageSource, RawImage } from '@mlkit/core';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Sharp, SharpOptions } from 'sharp';
import {
  type DecodeImageOptions,
  decodeImageWith,
  type ImageDecoder,
  sniffImageFormat,
  undecodableImage,
} from './image-source.ts';
import { type ImageResizer, resizeInJs } from './image-transform.ts';

// Node decodes with sharp (libvips) when it is installed, as transformers.js does: it reads every
// common format, applies EXIF orientation and resizes fast. It is an optional peer (a native
// package of ~30 MB), so PNG and JPEG also decode in pure JS (pngjs, jpeg-js) without it.

type SharpModule = (input?: Uint8Array, options?: SharpOptions) => Sharp;

let sharpModule: Promise<SharpModule | undefined> | undefined;

/** sharp when it is installed, else undefined (imported once). */
export function loadSharp(): Promise<SharpModule | undefined> {
  sharpModule ??= import('sharp').then(
    (module) => (module.default ?? module) as unknown as SharpModule,
    () => undefined,
  );
  return sharpModule;
}

const SHARP_FORMATS = 'PNG, JPEG, WebP, GIF, AVIF, TIFF';
const PURE_JS_FORMATS = 'PNG, JPEG (install sharp for WebP, GIF, AVIF, TIFF)';

/** Pixels with `channels` channels from RGBA pixels (values kept, alpha dropped where it goes). */
function fromRgba(
  rgba: Uint8Array<ArrayBuffer>,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
): RawImage {
  if (channels === 4) return { data: rgba, width, height, channels };
  const out = new Uint8Array(width * height * channels);
  for (let pixel = 0; pixel < width * height; pixel++)
    for (let channel = 0; channel < channels; channel++)
      out[pixel * channels + channel] = rgba[pixel * 4 + channel] as number;
  return { data: out, width, height, channels };
}

function firstChannel(image: RawImage): RawImage {
  const out = new Uint8Array(image.width * image.height);
  for (let pixel = 0; pixel < out.length; pixel++) out[pixel] = image.data[pixel * image.channels] as number;
  return { data: out, width: image.width, height: image.height, channels: 1 };
}

function decodePng(bytes: Uint8Array): RawImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const rgba = new Uint8Array(png.data.buffer as ArrayBuffer, png.data.byteOffset, png.data.byteLength);
  // pngjs always gives RGBA; keep the file's own channels (gray stays one channel, as with sharp).
  const colorType: number = png.colorType;
  const channels = colorType === 0 ? 1 : colorType === 2 || (colorType === 3 && !png.alpha) ? 3 : 4;
  return fromRgba(rgba, png.width, png.height, channels);
}

function decodeJpeg(bytes: Uint8Array): RawImage {
  const { data, width, height } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  return { data: data as Uint8Array<ArrayBuffer>, width, height, channels: 3 };
}

// Chunks that carry no pixel transform for libvips: a PNG of only these (and 8-bit samples, or a
// palette) decodes to the same pixels in pngjs as in sharp. Colour management (iCCP, sRGB, gAMA,
// cHRM, sBIT), orientation (eXIf) and anything unknown go to sharp.
const PLAIN_PNG_CHUNKS = new Set([
  'IHDR',
  'PLTE',
  'tRNS',
  'IDAT',
  'IEND',
  'pHYs',
  'tEXt',
  'zTXt',
  'iTXt',
  'tIME',
]);

// pngjs decodes on the calling thread; up to here it beats sharp's two thread-pool round trips
// (metadata, then pixels) and blocks the event loop well under a millisecond. Measured crossover:
// about 256 x 256.
const PNGJS_MAX_PIXELS = 32 * 1024;

/**
 * The channels sharp gives a small PNG that pngjs decodes exactly (see PLAIN_PNG_CHUNKS), else
 * undefined: gray 1, RGB 3, a palette 3 (4 with a tRNS chunk), alpha 4 (gray with alpha as RGBA).
 * A tRNS colour key on gray or RGB goes to sharp: pngjs blacks out the keyed pixels, libvips keeps them.
 */
function plainPngChannels(bytes: Uint8Array): 1 | 3 | 4 | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = (at: number) => String.fromCharCode(...bytes.subarray(at + 4, at + 8));
  if (bytes.length < 33 || sniffImageFormat(bytes) !== 'PNG' || chunkType(8) !== 'IHDR') return undefined;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  if (width * height > PNGJS_MAX_PIXELS || (bitDepth !== 8 && colorType !== 3)) return undefined;
  let transparency = false;
  for (let at = 8; at + 12 <= bytes.length; ) {
    const type = chunkType(at);
    if (!PLAIN_PNG_CHUNKS.has(type)) return undefined;
    if (type === 'tRNS') transparency = true;
    at += 12 + view.getUint32(at);
    if (type !== 'IEND') continue;
    if (at !== bytes.length) return undefined;
    if (colorType === 4 || colorType === 6) return 4;
    if (colorType === 3) return transparency ? 4 : 3;
    if (transparency) return undefined;
    return colorType === 0 ? 1 : colorType === 2 ? 3 : undefined;
  }
  return undefined;
}

/** A small plain PNG decoded by pngjs, else undefined (sharp decodes it; so does a file pngjs refuses). */
function decodePlainPng(bytes: Uint8Array): RawImage | undefined {
  const channels = plainPngChannels(bytes);
  if (!channels) return undefined;
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return undefined;
  }
  const rgba = new Uint8Array(png.data.buffer as ArrayBuffer, png.data.byteOffset, png.data.byteLength);
  return fromRgba(rgba, png.width, png.height, channels);
}

/**
 * Decode with sharp, the way transformers.js's RawImage.read does (EXIF rotation, the file's channels).
 * `decodeImageBytes` takes pngjs's path for small plain PNGs; this is what that path must equal.
 */
export async function decodeWithSharp(sharp: SharpModule, bytes: Uint8Array): Promise<RawImage> {
  const image = sharp(bytes);
  const { channels: fileChannels } = await image.metadata();
  const { data, info } = await image.rotate().raw().toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  if (info.channels === 3 || info.channels === 4 || info.channels === 1) {
    const decoded: RawImage = {
      data: pixels,
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
    // The file's own channel count, as transformers.js keeps it (gray stays one channel).
    if (fileChannels === 3 && info.channels === 4) return fromRgba(pixels, info.width, info.height, 3);
    if (fileChannels === 1 && info.channels !== 1) return firstChannel(decoded);
    return decoded;
  }
  // Gray with alpha (2 channels) becomes RGBA: RawImage has 1, 3 or 4 channels.
  const rgba = new Uint8Array(info.width * info.height * 4);
  for (let pixel = 0; pixel < info.width * info.height; pixel++) {
    const gray = pixels[pixel * 2] as number;
    rgba.set([gray, gray, gray, pixels[pixel * 2 + 1] as number], pixel * 4);
  }
  return { data: rgba, width: info.width, height: info.height, channels: 4 };
}

/** Decode encoded bytes with sharp if given, else pure JS (PNG, JPEG only). */
export async function decodeImageBytes(bytes: Uint8Array, sharp: SharpModule | undefined): Promise<RawImage> {
  const format = sniffImageFormat(bytes);
  const accepted = sharp ? SHARP_FORMATS : PURE_JS_FORMATS;
  try {
    if (sharp) return decodePlainPng(bytes) ?? (await decodeWithSharp(sharp, bytes));
    if (format === 'PNG') return decodePng(bytes);
    if (format === 'JPEG') return decodeJpeg(bytes);
  } catch (error) {
    throw undecodableImage(bytes, accepted, error);
  }
  throw undecodableImage(bytes, accepted);
}

/** Node's decoder: sharp when installed, else pngjs and jpeg-js. */
export const nodeImageDecoder: ImageDecoder = {
  decode: async (bytes) => decodeImageBytes(bytes, await loadSharp()),
  accepted: async () => ((await loadSharp()) ? SHARP_FORMATS : PURE_JS_FORMATS),
};

const SHARP_INTERPOLATORS = { nearest: 'nearest', bilinear: 'bilinear', bicubic: 'bicubic' } as const;

/** Resize with sharp's affine, exactly as transformers.js does in Node (matching its pixel values). */
export function sharpResizer(sharp: SharpModule): ImageResizer {
  return async (image, width, height, resample) => {
    const { data, info } = await sharp(image.data as Uint8Array, {
      raw: { width: image.width, height: image.height, channels: image.channels },
    })
      .affine([width / image.width, 0, 0, height / image.height], {
        interpolator: SHARP_INTERPOLATORS[resample],
      })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: image.channels,
    };
  };
}

/** Node's resizer: sharp's when installed, else the pure-JS one. */
export async function nodeImageResizer(): Promise<ImageResizer> {
  const sharp = await loadSharp();
  return sharp ? sharpResizer(sharp) : resizeInJs;
}

/**
 * Decode one image to pixels in Node: a URL, encoded bytes (PNG, JPEG; WebP, GIF, AVIF, TIFF with
 * sharp installed), a Blob, or raw pixels (passed through).
 *
 * @example
 * const image = await decodeImage(await readFile('cat.png')); // { data, width, height, channels }
 */
export function decodeImage(source: ImageSource, options?: DecodeImageOptions): Promise<RawImage> {
  return decodeImageWith(nodeImageDecoder, source, options);
}
