import { InvalidInputError, ResponseTooLargeError } from '@mlkit/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeImageBytes } from '../../src/media/image-decode.node.ts';

const WIDTH = 9;
const HEIGHT = 5;

function rgbPixels(): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  return data;
}

const encode = async (format: 'png' | 'jpeg' | 'webp', pixels = rgbPixels(), channels: 1 | 3 | 4 = 3) =>
  new Uint8Array(
    // sharp writes one raw channel as an RGB file unless told the colour space is b-w.
    await sharp(pixels, { raw: { width: WIDTH, height: HEIGHT, channels } })
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .toFormat(format, format === 'png' ? {} : { quality: 100 })
      .toBuffer(),
  );

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe('decodeImage (Node)', () => {
  it('decodes PNG exactly, with sharp and in pure JS', async () => {
    const png = await encode('png');
    for (const image of [await decodeImage(png), await decodeImageBytes(png, undefined)]) {
      expect([image.width, image.height, image.channels]).toEqual([WIDTH, HEIGHT, 3]);
      expect(Array.from(image.data)).toEqual(Array.from(rgbPixels()));
    }
  });

  it('decodes JPEG with sharp and with jpeg-js to nearly the same pixels', async () => {
    // A smooth picture: on noise, jpeg-js's chroma upsampling differs from libjpeg-turbo's by far more.
    const smooth = new Uint8Array(WIDTH * HEIGHT * 3).map(
      (_, i) => 40 + (i % 3) * 60 + Math.floor(i / 3) * 2,
    );
    const jpeg = await encode('jpeg', smooth);
    const viaSharp = await decodeImage(jpeg);
    const viaJs = await decodeImageBytes(jpeg, undefined);
    expect([viaJs.width, viaJs.height, viaJs.channels]).toEqual([WIDTH, HEIGHT, 3]);
    expect(viaSharp.channels).toBe(3);
    const difference = maxDifference(viaJs.data, viaSharp.data);
    console.info('JPEG: jpeg-js vs sharp max |difference|', difference);
    expect(difference).toBeLessThanOrEqual(8);
  });

  it('decodes WebP with sharp; without it says to install sharp', async () => {
    const webp = await encode('webp');
    const image = await decodeImage(webp);
    expect([image.width, image.height]).toEqual([WIDTH, HEIGHT]);
    const error = await decodeImageBytes(webp, undefined).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/got a WebP file.*install sharp for WebP/);
  });

  it('keeps RGBA and grayscale PNGs as 4 and 1 channels (sharp and pure JS alike)', async () => {
    const rgba = new Uint8Array(WIDTH * HEIGHT * 4).map((_, i) => (i * 11) % 256);
    const gray = new Uint8Array(WIDTH * HEIGHT).map((_, i) => i * 5);
    for (const [pixels, channels] of [
      [rgba, 4],
      [gray, 1],
    ] as const) {
      const png = await encode('png', pixels, channels);
      for (const image of [await decodeImage(png), await decodeImageBytes(png, undefined)]) {
        expect(image.channels).toBe(channels);
        expect(Array.from(image.data)).toEqual(Array.from(pixels));
      }
    }
  });

  it('passes raw pixels through and checks their length', async () => {
    const image = { data: rgbPixels(), width: WIDTH, height: HEIGHT, channels: 3 as const };
    expect(await decodeImage(image)).toBe(image);
    const error = await decodeImage({ ...image, width: WIDTH + 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/width \* height \* channels/);
  });

  it('reads ArrayBuffer, Blob and data: URL sources', async () => {
    const png = await encode('png');
    const dataUrl = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    for (const source of [png.slice().buffer, new Blob([png]), dataUrl]) {
      const image = await decodeImage(source);
      expect(Array.from(image.data)).toEqual(Array.from(rgbPixels()));
    }
  });

  it('fetches http(s) URLs with a size limit, and names only the origin and path', async () => {
    const png = await encode('png');
    const fetchPng: typeof fetch = async () => new Response(png);
    const image = await decodeImage('https://images.example/cat.png?token=secret', { fetch: fetchPng });
    expect(image.width).toBe(WIDTH);
    const error = await decodeImage('https://images.example/cat.png?token=secret', {
      fetch: fetchPng,
      maxResponseBytes: 10,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error.message).toContain('https://images.example/cat.png');
    expect(error.message).not.toContain('secret');
  });

  it('refuses file: URLs and undecodable bytes, naming what it saw and what it accepts', async () => {
    await expect(decodeImage('file:///etc/passwd')).rejects.toThrow(
      /got a file: URL\); pass the file's bytes/,
    );
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    const error = await decodeImageBytes(gif, undefined).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/got a GIF file.*accepted: PNG, JPEG/);
    const junk = await decodeImage(new Uint8Array([1, 2, 3, 4, 5])).catch((e) => e);
    expect(junk).toBeInstanceOf(InvalidInputError);
    expect(junk.message).toMatch(
      /no known image format \(starting 01 02 03 04 05\).*accepted: PNG, JPEG, WebP/,
    );
    const corrupt = await decodeImageBytes((await encode('png')).subarray(0, 40), undefined).catch((e) => e);
    expect(corrupt).toBeInstanceOf(InvalidInputError);
    expect(corrupt.message).toMatch(/got a PNG file/);
  });
});
