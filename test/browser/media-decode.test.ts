import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../../packages/onnx/src/media/audio.node.ts';
import { decodeWav } from '../../packages/onnx/src/media/audio-wav.ts';
import { decodeImage, decodeImageBytes } from '../../packages/onnx/src/media/image-decode.node.ts';
import {
  buildAndServe,
  floatsFromBase64,
  fromBase64,
  hasChromium,
  launchChromium,
  maxAbsDiff,
  noChromium,
  type ServedPage,
  serveFolder,
} from './support/chromium.ts';
import type { PageAudio, PageImage } from './support/media-page/main.ts';

const mediaDir = fileURLToPath(new URL('../fixtures/media/', import.meta.url));
const configFile = fileURLToPath(new URL('./support/media-page/vite.config.ts', import.meta.url));
const images = ['shapes', 'stripes', 'square'];
const wavs = ['hello-16k.wav', 'hello-22k-stereo.wav', 'long-8k.wav'];
const hasMedia = [...images.flatMap((name) => [`${name}.png`, `${name}.jpg`, `${name}.webp`]), ...wavs].every(
  (name) => existsSync(`${mediaDir}${name}`),
);

/** The page's RGBA pixels with the alpha channel dropped, next to Node's RGB, checking alpha is opaque. */
function rgbOf(image: PageImage): Uint8Array {
  const rgba = fromBase64(image.data);
  expect(image.channels).toBe(4);
  expect(rgba.length).toBe(image.width * image.height * 4);
  const rgb = new Uint8Array(image.width * image.height * 3);
  for (let pixel = 0; pixel < image.width * image.height; pixel++) {
    rgb.set(rgba.subarray(pixel * 4, pixel * 4 + 3), pixel * 3);
    expect(rgba[pixel * 4 + 3]).toBe(255);
  }
  return rgb;
}

describe.skipIf(!hasChromium || !hasMedia)(
  `@mlkit/onnx's web image and audio decoders in headless Chromium${noChromium}${hasMedia ? '' : ' (skipped: test/fixtures/media lacks the images and WAVs)'}`,
  () => {
    let served: ServedPage | undefined;
    let browser: Browser | undefined;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      served = await buildAndServe({ configFile });
      browser = await launchChromium();
      page = await browser.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await serveFolder(page, served.origin, '/media/', mediaDir);
      await page.goto(`${served.origin}/`);
      await page.waitForFunction(() => window.__media !== undefined);
    });

    afterAll(async () => {
      await browser?.close();
      await served?.close();
      expect(pageErrors).toEqual([]);
    });

    const webImage = (path: string, how: 'url' | 'bytes' | 'file') =>
      page.evaluate(([path, how]) => window.__media.decodeImage(path, how), [path, how] as const);

    it.each(images)(
      'decodes %s.png (an absolute URL, its bytes, a File) to exactly the pixels Node decodes',
      async (name) => {
        const bytes = await readFile(`${mediaDir}${name}.png`);
        const inNode = await decodeImage(bytes);
        const pureJs = await decodeImageBytes(bytes, undefined);
        expect(inNode.channels).toBe(3);
        expect(Buffer.from(pureJs.data).equals(Buffer.from(inNode.data))).toBe(true);
        for (const how of ['url', 'bytes', 'file'] as const) {
          const inPage = await webImage(`/media/${name}.png`, how);
          expect({ width: inPage.width, height: inPage.height }).toEqual({
            width: inNode.width,
            height: inNode.height,
          });
          expect(maxAbsDiff(rgbOf(inPage), inNode.data)).toBe(0);
        }
      },
    );

    it.each(images)(
      'decodes %s.jpg within 1 level of sharp (libjpeg-turbo, as in Chromium)',
      async (name) => {
        const inNode = await decodeImage(await readFile(`${mediaDir}${name}.jpg`));
        const inPage = rgbOf(await webImage(`/media/${name}.jpg`, 'bytes'));
        expect(inNode.channels).toBe(3);
        const difference = maxAbsDiff(inPage, inNode.data);
        console.info(`${name}.jpg: Chromium vs sharp, max difference ${difference} levels`);
        expect(difference).toBeLessThanOrEqual(1);
      },
    );

    it.each(images)('decodes %s.webp to the pixels sharp decodes in Node, within 1 level', async (name) => {
      const inNode = await decodeImage(await readFile(`${mediaDir}${name}.webp`));
      const inPage = await webImage(`/media/${name}.webp`, 'file');
      expect({ width: inPage.width, height: inPage.height }).toEqual({
        width: inNode.width,
        height: inNode.height,
      });
      const difference = maxAbsDiff(rgbOf(inPage), inNode.data);
      console.info(`${name}.webp: Chromium vs sharp, max difference ${difference} levels`);
      expect(difference).toBeLessThanOrEqual(1);
    });

    it('rejects bytes that are no image, and a truncated PNG, with InvalidInputError saying what it got', async () => {
      const png = await readFile(`${mediaDir}shapes.png`);
      const garbage = await page.evaluate(
        (bytes) => window.__media.decodeImageError(bytes),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      expect(garbage).toEqual({
        name: 'InvalidInputError',
        message: expect.stringContaining('bytes of no known image format (starting 01 02 03 04'),
      });
      const truncated = await page.evaluate(
        (bytes) => window.__media.decodeImageError(bytes),
        Array.from(png.subarray(0, 40)),
      );
      expect(truncated).toEqual({
        name: 'InvalidInputError',
        message: expect.stringContaining('Cannot decode the image: got a PNG file'),
      });
      const empty = await page.evaluate(() => window.__media.decodeImageError([]));
      expect(empty?.name).toBe('InvalidInputError');
    });

    const webAudio = (path: string, sampleRate?: number) =>
      page.evaluate(([path, sampleRate]) => window.__media.decodeAudio(path, { sampleRate }), [
        path,
        sampleRate,
      ] as const);
    const samples = (audio: PageAudio) => floatsFromBase64(audio.pcm);

    it.each(wavs)('decodes %s at its own rate to the samples Node decodes, within 1e-4', async (name) => {
      const inNode = await decodeAudio(await readFile(`${mediaDir}${name}`));
      const inPage = await webAudio(`/media/${name}`);
      expect(inPage.sampleRate).toBe(inNode.sampleRate);
      expect(maxAbsDiff(samples(inPage), inNode.pcm)).toBeLessThan(1e-4);
    });

    it.each(['hello-22k-stereo.wav', 'long-8k.wav'])(
      'resamples %s to 16 kHz (libsamplerate wasm) like Node, within 1e-4',
      async (name) => {
        const inNode = await decodeAudio(await readFile(`${mediaDir}${name}`), { sampleRate: 16_000 });
        const inPage = await webAudio(`/media/${name}`, 16_000);
        expect(inPage.sampleRate).toBe(16_000);
        expect(maxAbsDiff(samples(inPage), inNode.pcm)).toBeLessThan(1e-4);
      },
    );

    it.each(wavs)(
      "the platform's decodeAudioData (the path of every format but WAV) reads %s at its rate as Node's WAV parser does, within 1e-4",
      async (name) => {
        const inNode = decodeWav(await readFile(`${mediaDir}${name}`));
        const inPage = await page.evaluate(([path, rate]) => window.__media.platformDecodeAudio(path, rate), [
          `/media/${name}`,
          inNode.sampleRate,
        ] as const);
        expect({ sampleRate: inPage.sampleRate, channels: inPage.channels }).toEqual({
          sampleRate: inNode.sampleRate,
          channels: inNode.channels,
        });
        expect(maxAbsDiff(samples(inPage), inNode.pcm)).toBeLessThan(1e-4);
      },
    );

    it('rejects audio decodeAudioData cannot read (an Ogg header with nothing after it) with InvalidInputError', async () => {
      const ogg = Array.from(new TextEncoder().encode('OggS\0\u0002not really ogg'));
      const error = await page.evaluate((bytes) => window.__media.decodeAudioError(bytes), ogg);
      expect(error).toEqual({ name: 'InvalidInputError', message: expect.stringContaining('Ogg file: ') });
    });
  },
);
