// The browser audio path in real headless Chromium: decodeAudio from audio.web.ts, bundled by Vite
// for browsers, agrees with the Node path on the same WAV and decodes what Chromium itself encodes
// (WebM/Opus from MediaRecorder) through OfflineAudioContext.decodeAudioData.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumPath,
  hasChromium,
  chromiumArgs as sharedChromiumArgs,
} from '../../../../test/browser/support/chromium.ts';
import { decodeAudio } from '../../src/media/audio.node.ts';
import { resample } from '../../src/media/audio-resample.ts';
import { encodeWav } from '../../src/media/audio-wav.ts';

const root = join(import.meta.dirname, '..', '..', '..', '..');

/** The shared flags, and audio that starts unasked. */
const chromiumArgs = [...sharedChromiumArgs, '--autoplay-policy=no-user-gesture-required'];

/** audio.web.ts and resample as one classic script that sets `window.mlkitAudio`. */
async function bundleAudio(): Promise<string> {
  const entry = join(root, 'packages', 'onnx', 'test', 'media', 'audio-browser-entry.ts');
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    root,
    resolve: {
      conditions: ['browser', 'import', 'default'],
      alias: [
        { find: /^@mlkit\/core\/http$/, replacement: join(root, 'src', 'http', 'index.ts') },
        { find: /^@mlkit\/core$/, replacement: join(root, 'src', 'index.ts') },
      ],
    },
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['iife'], name: 'mlkitAudio', fileName: 'audio' },
    },
  })) as Rolldown.RolldownOutput[];
  const chunk = output.flatMap((o) => o.output).find((c) => c.type === 'chunk') as Rolldown.OutputChunk;
  return chunk.code;
}

const tone = (rate: number, seconds: number) =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate),
  );

describe.skipIf(!hasChromium)(
  `decodeAudio in headless Chromium${hasChromium ? '' : ' (skipped: no /usr/bin/chromium)'}`,
  () => {
    let server: Server;
    let browser: Browser | undefined;
    let page: Page;

    beforeAll(async () => {
      const script = await bundleAudio();
      server = createServer((request, response) => {
        if (request.url === '/audio.js')
          response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
        else
          response.writeHead(200, { 'content-type': 'text/html' }).end('<script src="/audio.js"></script>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
      page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('decodes and resamples a stereo WAV exactly as Node does', async () => {
      const left = tone(22050, 0.5);
      const stereo = Float32Array.from(
        { length: left.length * 2 },
        (_, i) => (left[i >> 1] as number) * (i % 2 ? 0.5 : 1),
      );
      const wav = encodeWav(stereo, 22050, { channels: 2 });
      const inBrowser = await page.evaluate(async (bytes) => {
        const { decodeAudio } = (window as any).mlkitAudio;
        const { pcm, sampleRate } = await decodeAudio(new Uint8Array(bytes), { sampleRate: 16000 });
        return { pcm: Array.from(pcm as Float32Array), sampleRate };
      }, Array.from(wav));
      const inNode = await decodeAudio(wav, { sampleRate: 16000 });
      expect(inBrowser.sampleRate).toBe(16000);
      expect(Float32Array.from(inBrowser.pcm)).toEqual(inNode.pcm);
    });

    it('decodes WebM/Opus that Chromium recorded, through decodeAudioData at the rate asked for', async () => {
      const decoded = await page.evaluate(async () => {
        // Record 0.6 s of a 440 Hz oscillator with MediaRecorder (Chromium writes WebM/Opus).
        const context = new AudioContext();
        const oscillator = context.createOscillator();
        oscillator.frequency.value = 440;
        const destination = context.createMediaStreamDestination();
        oscillator.connect(destination);
        oscillator.start();
        const recorder = new MediaRecorder(destination.stream);
        const parts: Blob[] = [];
        recorder.ondataavailable = (event) => parts.push(event.data);
        const stopped = new Promise((resolve) => {
          recorder.onstop = resolve;
        });
        recorder.start();
        await new Promise((resolve) => setTimeout(resolve, 600));
        recorder.stop();
        await stopped;
        oscillator.stop();
        await context.close();
        const blob = new Blob(parts, { type: recorder.mimeType });
        const { decodeAudio } = (window as any).mlkitAudio;
        const { pcm, sampleRate } = await decodeAudio(blob, { sampleRate: 16000 });
        return { mimeType: recorder.mimeType, pcm: Array.from(pcm as Float32Array), sampleRate };
      });
      expect(decoded.mimeType).toMatch(/webm/);
      expect(decoded.sampleRate).toBe(16000);
      expect(decoded.pcm.length).toBeGreaterThan(16000 * 0.3);
      // A 440 Hz tone crosses zero 880 times a second: count the crossings in the steady middle.
      const middle = decoded.pcm.slice(1600, decoded.pcm.length - 1600);
      let crossings = 0;
      for (let i = 1; i < middle.length; i++)
        if ((middle[i - 1] as number) < 0 !== (middle[i] as number) < 0) crossings++;
      expect((crossings / middle.length) * 16000).toBeGreaterThan(800);
      expect((crossings / middle.length) * 16000).toBeLessThan(960);
    });

    it('refuses bytes decodeAudioData cannot read, naming what it saw', async () => {
      const message = await page.evaluate(async () => {
        const { decodeAudio } = (window as any).mlkitAudio;
        return decodeAudio(new TextEncoder().encode('not audio, just text'), { sampleRate: 16000 }).then(
          () => 'decoded',
          (error: Error) => `${error.name}: ${error.message}`,
        );
      });
      expect(message).toMatch(
        /^InvalidInputError: Cannot decode the audio: got bytes of no known audio format/,
      );
    });

    it('resamples in the browser as in Node (the same libsamplerate wasm)', async () => {
      const pcm = tone(44100, 0.25);
      const inBrowser = await page.evaluate(async (samples) => {
        const { resample } = (window as any).mlkitAudio;
        return Array.from((await resample(Float32Array.from(samples), 44100, 16000)) as Float32Array);
      }, Array.from(pcm));
      expect(Float32Array.from(inBrowser)).toEqual(await resample(pcm, 44100, 16000));
    });
  },
);
