import { InvalidInputError } from '@mlkit/core';
import * as wavefile from 'wavefile';

/**
 * wavefile's exports: Node loads its CommonJS build (the exports object arrives as `default`), bundlers
 * (vite, esbuild, webpack) its ES module (package.json `module`: a named `WaveFile`, no default). A
 * function, so that bundlers do not warn about reading a `default` the ES module lacks.
 */
function wavefileExports(module: typeof wavefile & { default?: typeof wavefile }): typeof wavefile {
  return module.default ?? module;
}

const { WaveFile } = wavefileExports(wavefile);

/** Decoded samples before mixing: channels interleaved, in [-1, 1]. */
export interface InterleavedPcm {
  pcm: Float32Array;
  sampleRate: number;
  channels: number;
}

/** The container an encoded audio file's first bytes say it is, or undefined when they say none we know. */
export function sniffAudioFormat(bytes: Uint8Array): string | undefined {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'WAV';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP image';
  if (ascii(0, 3) === 'ID3' || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return 'MP3';
  if (ascii(0, 4) === 'fLaC') return 'FLAC';
  if (ascii(0, 4) === 'OggS') return 'Ogg';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3)
    return 'WebM/Matroska';
  if (ascii(4, 8) === 'ftyp') return 'MP4/M4A';
  if (ascii(0, 4) === 'FORM' && ascii(8, 12).startsWith('AIF')) return 'AIFF';
  if (/^\s*[<{]/.test(ascii(0, 64))) return 'text (HTML, XML or JSON)';
  return undefined;
}

/** What the first bytes look like, for an error message: the format, or the bytes in hex. */
export function describeAudioBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'no bytes';
  const format = sniffAudioFormat(bytes);
  if (format) return `a ${format} file`;
  const hex = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return `bytes of no known audio format (starting ${hex})`;
}

/** The error for bytes a decoder cannot read: what it saw, why, and what it reads. */
export function undecodableAudio(bytes: Uint8Array, accepted: string, cause?: unknown): InvalidInputError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new InvalidInputError(
    `Cannot decode the audio: got ${describeAudioBytes(bytes)}${reason}; accepted: ${accepted} (or PCM { pcm: Float32Array, sampleRate })`,
    { cause },
  );
}

/** What this WAV decoder reads, in words for error messages. */
export const WAV_FORMATS = 'WAV (PCM 8/16/24/32-bit integer or 32/64-bit float)';

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

interface WavFormat {
  audioFormat: number;
  bitsPerSample: number;
  numChannels: number;
  sampleRate: number;
  subformat: number[];
}

/**
 * Decode a WAV file (wavefile parses the RIFF chunks). Integers scale by 2^(bits-1) (8-bit is
 * unsigned, offset 128), as libsndfile and ffmpeg do, so 16-bit 16384 is exactly 0.5.
 */
export function decodeWav(bytes: Uint8Array): InterleavedPcm {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    throw undecodableAudio(bytes, WAV_FORMATS, error);
  }
  const format = wav.fmt as WavFormat;
  const code = format.audioFormat === WAVE_FORMAT_EXTENSIBLE ? format.subformat[0] : format.audioFormat;
  const bits = format.bitsPerSample;
  const isFloat = code === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64);
  const isInteger = code === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bits);
  if (!isFloat && !isInteger)
    throw undecodableAudio(
      bytes,
      WAV_FORMATS,
      new Error(`WAV format code ${code} with ${bits} bits per sample is not PCM integer or float`),
    );
  if (format.numChannels < 1 || format.sampleRate < 1)
    throw undecodableAudio(
      bytes,
      WAV_FORMATS,
      new Error('the WAV header names no channels or no sample rate'),
    );
  let samples: Float64Array;
  try {
    samples = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  } catch (error) {
    throw undecodableAudio(bytes, WAV_FORMATS, error);
  }
  const pcm = new Float32Array(samples.length);
  if (isFloat) pcm.set(samples);
  else if (bits === 8) for (let i = 0; i < samples.length; i++) pcm[i] = ((samples[i] as number) - 128) / 128;
  else {
    const scale = 2 ** (bits - 1);
    for (let i = 0; i < samples.length; i++) pcm[i] = (samples[i] as number) / scale;
  }
  return { pcm, sampleRate: format.sampleRate, channels: format.numChannels };
}

/** Options of `encodeWav`. */
export interface EncodeWavOptions {
  /** `'16'`: 16-bit PCM integers (default, what every player reads); `'32f'`: 32-bit float, lossless. */
  bitDepth?: '16' | '32f';
  /** Interleaved channels in `pcm` (default 1). */
  channels?: number;
}

/**
 * Encode PCM samples in [-1, 1] as a WAV file (text-to-speech output, hosted uploads of PCM input).
 * 16-bit samples are clipped to [-1, 1] and scaled by 32768 (32767 at +1), the inverse of `decodeWav`.
 *
 * @example
 * const wav = encodeWav(new Float32Array(16000), 16000); // one second of silence
 */
export function encodeWav(
  pcm: Float32Array,
  sampleRate: number,
  options: EncodeWavOptions = {},
): Uint8Array<ArrayBuffer> {
  const bitDepth = options.bitDepth ?? '16';
  const channels = options.channels ?? 1;
  if (!Number.isInteger(sampleRate) || sampleRate < 1)
    throw new InvalidInputError(`sampleRate must be a positive integer (got ${sampleRate})`);
  if (!Number.isInteger(channels) || channels < 1 || pcm.length % channels !== 0)
    throw new InvalidInputError(
      `channels must be a positive integer that divides pcm.length ${pcm.length} (got ${channels})`,
    );
  let samples: Float32Array | Int16Array = pcm;
  if (bitDepth === '16') {
    samples = new Int16Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) {
      const value = Math.max(-1, Math.min(1, pcm[i] as number));
      samples[i] = Math.max(-32768, Math.min(32767, Math.round(value * 32768)));
    }
  }
  const wav = new WaveFile();
  wav.fromScratch(channels, sampleRate, bitDepth, samples);
  // wavefile writes a fresh Uint8Array over its own ArrayBuffer.
  return wav.toBuffer() as Uint8Array<ArrayBuffer>;
}
