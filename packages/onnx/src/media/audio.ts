import { AudioSource, InvalidInputError, type PcmAudio } from '@mlkit/core';
import { type ResampleQuality, resample } from './audio-resample.ts';
import type { InterleavedPcm } from './audio-wav.ts';
import { type FetchMediaOptions, fetchMedia } from './fetch-media.ts';

/** How `decodeAudio` reads a source and what it returns. */
export interface DecodeAudioOptions extends FetchMediaOptions {
  /** Resample to this rate in Hz (a model's `sampling_rate`); default: the source's own rate. */
  sampleRate?: number;
  /** Quality of that resampling (default `'medium'`, see `resample`). */
  resampleQuality?: ResampleQuality;
  /** Largest encoded audio a URL, bytes or Blob may have, in bytes (default 100 MiB). */
  maxBytes?: number;
}

/** Mono PCM samples in [-1, 1] at `sampleRate` Hz. */
export interface DecodedAudio {
  pcm: Float32Array;
  sampleRate: number;
}

/** Turns encoded bytes into samples: what differs between Node (libraries) and browsers (web APIs). */
export interface AudioDecoder {
  /** `sampleRate` is a hint: a decoder that resamples while decoding (AudioContext) decodes at it. */
  decode(bytes: Uint8Array, sampleRate: number | undefined): Promise<InterleavedPcm>;
  /** The formats it reads, in words for an error message. */
  readonly accepted: string;
}

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

function tooLarge(what: string, maxBytes: number): InvalidInputError {
  return new InvalidInputError(
    `${what} is larger than maxBytes (${maxBytes} bytes); raise maxBytes or pass shorter audio`,
  );
}

async function bytesOf(
  source: Exclude<AudioSource, PcmAudio>,
  options: DecodeAudioOptions,
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (typeof source === 'string' || source instanceof URL)
    return fetchMedia(new URL(source), 'audio', options, maxBytes, (where) => tooLarge(where, maxBytes));
  const size = source instanceof Blob ? source.size : source.byteLength;
  if (size > maxBytes) throw tooLarge(`The audio (${size} bytes)`, maxBytes);
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return new Uint8Array(await source.arrayBuffer());
}

function isPcm(source: AudioSource): source is PcmAudio {
  return typeof source === 'object' && 'pcm' in source;
}

/**
 * Interleaved channels to mono by their mean, as ffmpeg's `-ac 1` and Web Audio's down-mix do
 * (transformers.js's browser `read_audio` instead sums stereo times 1/sqrt(2), which is louder).
 */
export function mixToMono(pcm: Float32Array, channels: number): Float32Array {
  if (channels === 1) return pcm;
  const frames = Math.floor(pcm.length / channels);
  const mono = new Float32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) sum += pcm[frame * channels + channel] as number;
    mono[frame] = sum / channels;
  }
  return mono;
}

/**
 * Decode one audio input to mono PCM with the platform's decoder: a URL (data: always, http(s)
 * fetched within `maxBytes` and `timeoutMs`), encoded bytes, a Blob, or PCM (channels mixed to mono);
 * resampled to `options.sampleRate` when given.
 */
export async function decodeAudioWith(
  decoder: AudioDecoder,
  source: AudioSource,
  options: DecodeAudioOptions = {},
): Promise<DecodedAudio> {
  const parsed = AudioSource.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `audio.${issue.path.join('.')}` : 'audio';
    throw new InvalidInputError(
      `${path}: ${issue?.message ?? 'invalid'}; pass an http(s)/data URL, encoded bytes (Uint8Array, ArrayBuffer, Blob) or PCM { pcm: Float32Array, sampleRate, channels? }`,
      { issues: parsed.error.issues.map((each) => ({ path, message: each.message })) },
    );
  }
  let decoded: InterleavedPcm;
  if (isPcm(source)) {
    const channels = source.channels ?? 1;
    if (source.pcm.length % channels !== 0)
      throw new InvalidInputError(
        `audio.pcm has ${source.pcm.length} samples, not a whole number of frames of ${channels} interleaved channels`,
      );
    decoded = { pcm: source.pcm, sampleRate: source.sampleRate, channels };
  } else {
    const bytes = await bytesOf(source, options);
    if (bytes.length === 0)
      throw new InvalidInputError(`The audio is empty (0 bytes); accepted: ${decoder.accepted} or PCM`);
    decoded = await decoder.decode(bytes, options.sampleRate);
  }
  const mono = mixToMono(decoded.pcm, decoded.channels);
  if (mono.length === 0) throw new InvalidInputError('The audio has no samples; pass at least one sample');
  const sampleRate = options.sampleRate ?? decoded.sampleRate;
  const pcm = await resample(mono, decoded.sampleRate, sampleRate, { quality: options.resampleQuality });
  return { pcm, sampleRate };
}
