import type { ImageSource, RawImage } from '@mlkit/core';
import {
  type DecodeImageOptions,
  decodeImageWith,
  type ImageDecoder,
  undecodableImage,
} from './image-source.ts';

const BROWSER_FORMATS = "what the browser's createImageBitmap reads (PNG, JPEG, WebP, GIF, BMP, AVIF)";

/** Browsers decode with their own codecs: createImageBitmap, then an OffscreenCanvas's getImageData (RGBA). */
async function decode(bytes: Uint8Array): Promise<RawImage> {
  let bitmap: ImageBitmap;
  try {
    // No colour-space conversion and no premultiplied alpha: the pixels as stored in the file.
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch (error) {
    throw undecodableImage(bytes, BROWSER_FORMATS, error);
  }
  try {
    const { width, height } = bitmap;
    const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('OffscreenCanvas has no 2d context here');
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, width, height).data;
    return {
      data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
      width,
      height,
      channels: 4,
    };
  } finally {
    bitmap.close();
  }
}

/** The browser's decoder (createImageBitmap + OffscreenCanvas). */
export const webImageDecoder: ImageDecoder = { decode, accepted: async () => BROWSER_FORMATS };

/**
 * Decode one image to RGBA pixels in a browser or worker: a URL, encoded bytes, a Blob or File, or
 * raw pixels (passed through).
 *
 * @example
 * const image = await decodeImage(input.files[0]); // { data, width, height, channels: 4 }
 */
export function decodeImage(source: ImageSource, options?: DecodeImageOptions): Promise<RawImage> {
  return decodeImageWith(webImageDecoder, source, options);
}
