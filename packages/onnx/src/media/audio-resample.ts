import { InvalidInputError } from '@mlkit/core';

/**
 * How `resample` converts: libsamplerate's band-limited sinc converters (best, medium, fastest).
 * Medium keeps a 440 Hz tone within 1e-6 of the exact one at 16 kHz and takes ~15 ms per second of
 * 44.1 kHz audio; best is ~3x slower for ~1e-7.
 */
export type ResampleQuality = 'best' | 'medium' | 'fastest';

// libsamplerate's SRC_SINC_* converter numbers.
const CONVERTER: Record<ResampleQuality, 0 | 1 | 2> = { best: 0, medium: 1, fastest: 2 };

type LibSampleRate = typeof import('@alexanderolsen/libsamplerate-js');

let libsamplerate: Promise<LibSampleRate> | undefined;

// Imported on first use: it is 2 MB (the wasm build is inlined) and most inputs are already at the
// model's rate. The package is UMD/CommonJS, so its exports arrive as the default export under ESM.
function loadLibsamplerate(): Promise<LibSampleRate> {
  libsamplerate ??= import('@alexanderolsen/libsamplerate-js').then(
    (module) => ((module as { default?: LibSampleRate }).default ?? module) as LibSampleRate,
  );
  return libsamplerate;
}

/**
 * Resample mono PCM from `fromRate` to `toRate` Hz with libsamplerate (its wasm port): band-limited
 * sinc interpolation, as ffmpeg's and torchaudio's resamplers are. The same rate returns `pcm` itself.
 * (transformers.js resamples only in browsers, by decoding in an `AudioContext` at the model's rate;
 * in Node it takes PCM as given.)
 *
 * @example
 * const pcm16k = await resample(pcm, 44100, 16000);
 */
export async function resample(
  pcm: Float32Array,
  fromRate: number,
  toRate: number,
  options: { quality?: ResampleQuality } = {},
): Promise<Float32Array> {
  for (const [name, rate] of [
    ['fromRate', fromRate],
    ['toRate', toRate],
  ] as const)
    if (!Number.isFinite(rate) || rate <= 0)
      throw new InvalidInputError(`${name} must be a positive sample rate in Hz (got ${rate})`);
  if (fromRate === toRate || pcm.length === 0) return pcm;
  const { create } = await loadLibsamplerate();
  const converter = await create(1, fromRate, toRate, {
    converterType: CONVERTER[options.quality ?? 'medium'],
  });
  try {
    return converter.simple(pcm);
  } finally {
    converter.destroy();
  }
}
