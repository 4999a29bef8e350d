import { InvalidInputError, UnsupportedError } from '@mlkit/core';
import * as z from 'zod/mini';
import { powerSpectrum } from './features-fft.ts';
import { melFilterBank } from './features-mel.ts';

const positiveInt = z.int().check(z.positive());

/** Schema of a WhisperFeatureExtractor's preprocessor_config.json (the fields the features need). */
export const WhisperFeatureConfig = z.object({
  feature_extractor_type: z.optional(z.string()),
  /** Mel bins (80, or 128 for large-v3). */
  feature_size: positiveInt,
  sampling_rate: positiveInt,
  hop_length: positiveInt,
  /** Window length in seconds (30). */
  chunk_length: positiveInt,
  n_fft: positiveInt,
  /** Samples per window: chunk_length * sampling_rate when absent. */
  n_samples: z.optional(positiveInt),
  /** Frames per window: n_samples / hop_length when absent. */
  nb_max_frames: z.optional(positiveInt),
  padding_value: z.optional(z.number()),
  /** Random noise added before the STFT (transformers >= 4.48); only 0 is reproducible, so only 0 is read. */
  dither: z.optional(z.number()),
  /** Precomputed filters, [feature_size][n_fft/2+1] or its transpose; computed (Slaney) when absent. */
  mel_filters: z.optional(z.array(z.array(z.number()))),
});
/** A WhisperFeatureExtractor's preprocessor_config.json. */
export type WhisperFeatureConfig = z.infer<typeof WhisperFeatureConfig>;

/** One window's log-mel features, `[1, feature_size, frames]` row-major (the encoder's `input_features`). */
export interface WhisperFeatures {
  inputFeatures: Float32Array;
  dims: [1, number, number];
}

/** Parse a preprocessor_config.json as a WhisperFeatureExtractor reads it; a bad field is an error naming it. */
export function parseWhisperFeatureConfig(config: unknown): WhisperFeatureConfig {
  const parsed = WhisperFeatureConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `preprocessor_config.json ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (WhisperFeatureExtractor)`,
    );
  }
  if (parsed.data.dither !== undefined && parsed.data.dither !== 0)
    throw new UnsupportedError(
      `preprocessor_config.json dither ${parsed.data.dither} adds random noise; set it to 0 (as Whisper checkpoints ship)`,
      { param: 'dither' },
    );
  return parsed.data;
}

/**
 * A Whisper log-mel extractor for one config, as transformers' WhisperFeatureExtractor computes
 * features: audio padded (zeros) or cut to `n_samples`, centred frames (reflect padding of n_fft/2),
 * periodic Hann window, power spectrum, mel filters (the config's, else Slaney scale and norm over
 * 0-8000 Hz), log10 of max(mel, 1e-10), floored at the window's max - 8, then (x + 4) / 4.
 *
 * @example
 * const extract = whisperFeatureExtractor(JSON.parse(preprocessorConfigJson));
 * const { inputFeatures, dims } = extract(pcm16k); // dims [1, 80, 3000]
 */
export function whisperFeatureExtractor(config: unknown): (pcm: Float32Array) => WhisperFeatures {
  const parsed = parseWhisperFeatureConfig(config);
  const { n_fft: fftSize, hop_length: hop, feature_size: melCount } = parsed;
  const samples = parsed.n_samples ?? parsed.chunk_length * parsed.sampling_rate;
  const frames = parsed.nb_max_frames ?? Math.floor(samples / hop);
  const bins = Math.floor(fftSize / 2) + 1;
  const filters = melFiltersOf(parsed, bins);
  // Periodic Hann: 0.5 - 0.5 cos(2 pi n / N), numpy's hanning(N + 1)[:-1].
  const window = Float64Array.from(
    { length: fftSize },
    (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / fftSize),
  );
  const spectrum = powerSpectrum(fftSize);
  const padValue = parsed.padding_value ?? 0;
  // Each mel filter is a triangle over a few FFT bins: sum over its non-zero bins only.
  const ranges = filters.map((filter) => {
    let first = 0;
    while (first < bins && filter[first] === 0) first++;
    let last = bins - 1;
    while (last >= first && filter[last] === 0) last--;
    return [first, last + 1] as const;
  });

  return (pcm) => {
    if (pcm.length === 0) throw new InvalidInputError('The audio has no samples; pass at least one sample');
    const waveform = new Float64Array(samples).fill(padValue);
    waveform.set(pcm.subarray(0, samples));
    const padded = reflectPad(waveform, Math.floor(fftSize / 2));
    const frame = new Float64Array(fftSize);
    const power = new Float64Array(bins);
    const mel = new Float64Array(melCount * frames);
    // Frames wholly inside zero padding have zero power (log10 floor): a short clip padded to 30 s
    // skips most of its 3000 transforms and gets the same features.
    const audible = padValue === 0 ? Math.min(pcm.length, samples) : samples;
    const silent = Math.log10(1e-10);
    for (let t = 0; t < frames; t++) {
      const start = t * hop;
      if (start - Math.floor(fftSize / 2) >= audible) {
        for (let m = 0; m < melCount; m++) mel[m * frames + t] = silent;
        continue;
      }
      for (let n = 0; n < fftSize; n++) frame[n] = (padded[start + n] ?? 0) * (window[n] as number);
      spectrum(frame, power);
      for (let m = 0; m < melCount; m++) {
        const filter = filters[m] as Float64Array;
        const [first, end] = ranges[m]!;
        let sum = 0;
        for (let k = first; k < end; k++) sum += (filter[k] as number) * (power[k] as number);
        mel[m * frames + t] = Math.log10(Math.max(sum, 1e-10));
      }
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < mel.length; i++) if ((mel[i] as number) > max) max = mel[i] as number;
    const inputFeatures = new Float32Array(mel.length);
    for (let i = 0; i < mel.length; i++) inputFeatures[i] = (Math.max(mel[i] as number, max - 8) + 4) / 4;
    return { inputFeatures, dims: [1, melCount, frames] };
  };
}

function melFiltersOf(config: WhisperFeatureConfig, bins: number): Float64Array[] {
  const given = config.mel_filters;
  if (!given)
    return melFilterBank({
      frequencyBins: bins,
      melFilters: config.feature_size,
      minFrequency: 0,
      maxFrequency: 8000,
      samplingRate: config.sampling_rate,
      norm: 'slaney',
      melScale: 'slaney',
    });
  if (given.length === config.feature_size && given.every((row) => row.length === bins))
    return given.map((row) => Float64Array.from(row));
  if (given.length === bins && given.every((row) => row.length === config.feature_size))
    return Array.from({ length: config.feature_size }, (_, m) =>
      Float64Array.from(given, (row) => row[m] as number),
    );
  throw new InvalidInputError(
    `preprocessor_config.json mel_filters must be ${config.feature_size} x ${bins} (feature_size x n_fft/2+1) or its transpose (got ${given.length} x ${given[0]?.length ?? 0})`,
  );
}

/** numpy's `pad(mode="reflect")`: mirrored without repeating the edge sample. */
function reflectPad(signal: Float64Array, padding: number): Float64Array {
  const out = new Float64Array(signal.length + 2 * padding);
  out.set(signal, padding);
  const last = signal.length - 1;
  const reflect = (index: number) => {
    // Fold the index into [0, last] (a period of 2 * last), as numpy does for pads longer than the signal.
    if (last === 0) return 0;
    const period = 2 * last;
    const folded = ((index % period) + period) % period;
    return folded <= last ? folded : period - folded;
  };
  for (let i = 1; i <= padding; i++) {
    out[padding - i] = signal[reflect(i)] as number;
    out[padding + last + i] = signal[reflect(last - i)] as number;
  }
  return out;
}

/** One window of long audio: its features and where it lies in the audio, in seconds. */
export interface WhisperWindow extends WhisperFeatures {
  startSeconds: number;
  endSeconds: number;
  /** Seconds at the window's left and right edges that overlap its neighbours (0 at the ends). */
  strideSeconds: [left: number, right: number];
  /** Frames that hold audio, not padding: the pipeline's `num_frames` for timestamps. */
  frames: number;
}

/** How `whisperWindows` splits long audio. */
export interface WhisperWindowOptions {
  /** Window length in seconds (default the config's chunk_length, 30). */
  chunkLengthSeconds?: number;
  /** Overlap at each inner edge in seconds (default chunkLengthSeconds / 6, as the ASR pipeline's). */
  strideLengthSeconds?: number;
}

/**
 * Split audio of any length into Whisper windows the way transformers' (and transformers.js's) ASR
 * pipeline does with `chunk_length_s` / `stride_length_s`: windows of chunk_length_s that start every
 * chunk_length_s - 2 * stride_length_s, so each inner edge overlaps its neighbour by stride_length_s;
 * the last window is the first that reaches the end. Audio no longer than one window is one window.
 */
export function whisperWindows(
  pcm: Float32Array,
  config: unknown,
  options: WhisperWindowOptions = {},
): WhisperWindow[] {
  const parsed = parseWhisperFeatureConfig(config);
  const extract = whisperFeatureExtractor(parsed);
  const rate = parsed.sampling_rate;
  const chunkSeconds = options.chunkLengthSeconds ?? parsed.chunk_length;
  const strideSeconds = options.strideLengthSeconds ?? chunkSeconds / 6;
  if (!(chunkSeconds > 0) || chunkSeconds > parsed.chunk_length)
    throw new InvalidInputError(
      `chunkLengthSeconds must be in (0, ${parsed.chunk_length}] (the model's window; got ${chunkSeconds})`,
    );
  if (!(strideSeconds >= 0) || 2 * strideSeconds >= chunkSeconds)
    throw new InvalidInputError(
      `strideLengthSeconds must be at least 0 and under half of chunkLengthSeconds ${chunkSeconds} (got ${strideSeconds})`,
    );
  const window = Math.round(chunkSeconds * rate);
  const stride = Math.round(strideSeconds * rate);
  const jump = window - 2 * stride;
  const windows: WhisperWindow[] = [];
  for (let offset = 0; ; offset += jump) {
    const end = Math.min(offset + window, pcm.length);
    const isLast = offset + window >= pcm.length;
    windows.push({
      ...extract(pcm.subarray(offset, end)),
      startSeconds: offset / rate,
      endSeconds: end / rate,
      strideSeconds: [offset === 0 ? 0 : stride / rate, isLast ? 0 : stride / rate],
      frames: Math.floor((end - offset) / parsed.hop_length),
    });
    if (isLast) return windows;
  }
}
