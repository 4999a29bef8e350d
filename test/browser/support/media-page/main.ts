/**
 * The page of test/browser/media-decode.test.ts: @mlkit/onnx's browser decoders (createImageBitmap +
 * OffscreenCanvas for images; WAV parsing, OfflineAudioContext and libsamplerate's wasm for audio) on
 * `window.__media`, with their results as base64 so that they cross page.evaluate cheaply.
 */
import type { DecodeAudioOptions } from '../../../../packages/onnx/src/media/audio.ts';
import { decodeAudio } from '../../../../packages/onnx/src/media/audio.web.ts';
import { decodeImage } from '../../../../packages/onnx/src/media/image-decode.web.ts';

/** One decoded image as it leaves the page. */
export interface PageImage {
  width: number;
  height: number;
  channels: number;
  /** The pixels, base64. */
  data: string;
}

/** Mono or interleaved float samples as they leave the page. */
export interface PageAudio {
  sampleRate: number;
  channels: number;
  /** The Float32Array's bytes, base64. */
  pcm: string;
}

/** What a rejected call threw. */
export interface PageError {
  name: string;
  message: string;
}

function toBase64(bytes: Uint8Array | Uint8ClampedArray): string {
  let text = '';
  for (let start = 0; start < bytes.length; start += 0x8000)
    text += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  return btoa(text);
}

const floatsToBase64 = (pcm: Float32Array) =>
  toBase64(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function errorOf(run: () => Promise<unknown>): Promise<PageError | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

const media = {
  /** decodeImage of a file on this origin, given as `how`: its absolute URL, its bytes, or a File. */
  async decodeImage(path: string, how: 'url' | 'bytes' | 'file'): Promise<PageImage> {
    const url = new URL(path, location.href).href;
    const source =
      how === 'url'
        ? url
        : how === 'bytes'
          ? await fetchBytes(path)
          : new File([(await fetchBytes(path)) as Uint8Array<ArrayBuffer>], path.split('/').pop()!);
    const image = await decodeImage(source);
    return { width: image.width, height: image.height, channels: image.channels, data: toBase64(image.data) };
  },
  /** What decodeImage throws for these bytes. */
  decodeImageError: (bytes: number[]) => errorOf(() => decodeImage(new Uint8Array(bytes))),
  /** decodeAudio of a file on this origin (its bytes), mono at `options.sampleRate` or the file's. */
  async decodeAudio(path: string, options: Pick<DecodeAudioOptions, 'sampleRate'> = {}): Promise<PageAudio> {
    const { pcm, sampleRate } = await decodeAudio(await fetchBytes(path), options);
    return { sampleRate, channels: 1, pcm: floatsToBase64(pcm) };
  },
  /** What decodeAudio throws for these bytes. */
  decodeAudioError: (bytes: number[]) => errorOf(() => decodeAudio(new Uint8Array(bytes))),
  /**
   * The platform's own decoder on a file: OfflineAudioContext.decodeAudioData at `sampleRate`, channels
   * interleaved. audio.web.ts sends every format but WAV through it.
   */
  async platformDecodeAudio(path: string, sampleRate: number): Promise<PageAudio> {
    const context = new OfflineAudioContext(1, 1, sampleRate);
    const buffer = await context.decodeAudioData((await fetchBytes(path)).buffer as ArrayBuffer);
    const channels = buffer.numberOfChannels;
    const pcm = new Float32Array(buffer.length * channels);
    for (let channel = 0; channel < channels; channel++)
      buffer.getChannelData(channel).forEach((sample, frame) => {
        pcm[frame * channels + channel] = sample;
      });
    return { sampleRate: buffer.sampleRate, channels, pcm: floatsToBase64(pcm) };
  },
};

/** The page's API, on `window.__media`. */
export type MediaPage = typeof media;

declare global {
  interface Window {
    __media: MediaPage;
  }
}

window.__media = media;
