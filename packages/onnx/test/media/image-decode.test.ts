import { crc32, deflateSync } from 'node:zlib';
import { InvalidInputError, ResponseTooLargeError } from '@mlkit/core';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeImageBytes, decodeWithSharp } from '../../src/media/image-decode.node.ts';

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

/** A PNG written by hand: any colour type and bit depth, with extra chunks before IDAT. */
function handMadePng(colorType: 0 | 2 | 3, chunks: Array<[type: string, data: number[]]>): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(WIDTH, 0);
  header.writeUInt32BE(HEIGHT, 4);
  header.set([8, colorType], 8);
  const samples = { 0: 1, 2: 3, 3: 1 }[colorType];
  // Each row: its filter type, then its samples. Gray and RGB rows cycle through the five filters (each
  // one undone on decode); palette rows are unfiltered so that every index stays within the palette.
  const stride = 1 + WIDTH * samples;
  const rows = Buffer.alloc(stride * HEIGHT);
  for (let i = 0; i < rows.length; i++)
    if (i % stride !== 0) rows[i] = (i * 29) % (colorType === 3 ? 4 : 256);
    else if (colorType !== 3) rows[i] = (i / stride) % 5;
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      ...chunks.map(([type, data]) => chunk(type, new Uint8Array(data))),
      chunk('IDAT', deflateSync(rows)),
      chunk('IEND', new Uint8Array()),
    ]),
  );
}

describe('decodeImage (Node) of small plain PNGs', () => {
  /** sharp, counting its calls: zero means pngjs decoded the file. */
  function countingSharp() {
    const counted = Object.assign(
      (...args: Parameters<typeof sharp>) => {
        counted.calls++;
        return sharp(...args);
      },
      { calls: 0 },
    );
    return counted;
  }
  const fromRaw = (channels: 1 | 2 | 3 | 4, width = WIDTH, height = HEIGHT) =>
    sharp(
      new Uint8Array(width * height * channels).map((_, i) => (i * 37 + (i >> 4)) % 256),
      {
        raw: { width, height, channels },
      },
    );
  const png = async (image: Sharp) => new Uint8Array(await image.toBuffer());
  // Entry 0 (fully transparent below) is not black, so a decoder that blacks out transparent pixels shows.
  const palette = [40, 80, 120, 255, 0, 0, 10, 200, 30, 255, 255, 255];

  it('decodes them without sharp to exactly the pixels and channels sharp gives', async () => {
    const files = {
      rgb: await png(fromRaw(3).png()),
      rgba: await png(fromRaw(4).png()),
      'RGBA, every third pixel transparent': await png(
        sharp(
          new Uint8Array(WIDTH * HEIGHT * 4).map((_, i) => (i % 4 < 3 ? 50 + i : (i >> 2) % 3 ? 200 : 0)),
          { raw: { width: WIDTH, height: HEIGHT, channels: 4 } },
        ).png(),
      ),
      gray: await png(fromRaw(1).toColourspace('b-w').png()),
      'gray with alpha': await png(fromRaw(2).toColourspace('b-w').png()),
      palette: await png(fromRaw(3).png({ palette: true })),
      'palette with alpha': await png(fromRaw(4).png({ palette: true })),
      '2-bit palette': await png(fromRaw(3).png({ palette: true, colours: 4 })),
      interlaced: await png(fromRaw(3).png({ progressive: true })),
      'palette with tRNS': handMadePng(3, [
        ['PLTE', palette],
        ['tRNS', [0, 128]],
      ]),
      'text and pHYs chunks': handMadePng(2, [
        ['tEXt', [...Buffer.from('Comment\0made by hand')]],
        ['pHYs', [0, 0, 11, 19, 0, 0, 11, 19, 1]],
      ]),
    };
    const channels: number[] = [];
    for (const [name, bytes] of Object.entries(files)) {
      const counted = countingSharp();
      const image = await decodeImageBytes(bytes, counted);
      expect(counted.calls, name).toBe(0);
      expect(image, name).toEqual(await decodeWithSharp(sharp, bytes));
      channels.push(image.channels);
    }
    expect(channels).toEqual([3, 4, 4, 1, 4, 3, 4, 3, 3, 4, 3]);
  });

  it('leaves 16-bit, colour-managed, colour-keyed, oriented and large PNGs to sharp', async () => {
    const files = {
      '16-bit': await png(fromRaw(3).toColourspace('rgb16').png()),
      'ICC profile': await png(fromRaw(3).withIccProfile('p3').png()),
      'EXIF orientation': await png(fromRaw(3).withMetadata({ orientation: 6 }).png()),
      gamma: handMadePng(2, [['gAMA', [0, 0, 0xaf, 0xc8]]]),
      // A colour key: pngjs would black out the keyed pixels, sharp keeps their colour with alpha 0.
      'RGB with tRNS': handMadePng(2, [['tRNS', [0, 29, 0, 58, 0, 87]]]),
      'gray with tRNS': handMadePng(0, [['tRNS', [0, 29]]]),
      '200 x 200': await png(fromRaw(3, 200, 200).png()),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const counted = countingSharp();
      const image = await decodeImageBytes(bytes, counted);
      expect(counted.calls, name).toBeGreaterThan(0);
      expect(image, name).toEqual(await decodeWithSharp(sharp, bytes));
    }
    // The oriented one is turned upright, as sharp's rotate() does.
    expect((await decodeImage(files['EXIF orientation'])).width).toBe(HEIGHT);
  });

  it('hands a damaged PNG to sharp, which names the file', async () => {
    const bytes = handMadePng(2, []);
    bytes[40] = (bytes[40] as number) ^ 0xff; // inside IDAT: its CRC no longer matches
    const counted = countingSharp();
    const error = await decodeImageBytes(bytes, counted).catch((e) => e);
    expect(counted.calls).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/got a PNG file/);
  });
});
