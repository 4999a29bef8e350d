import { Wav2Vec2FeatureExtractor, WhisperFeatureExtractor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { powerSpectrum } from '../../src/media/features-fft.ts';
import { wav2vec2FeatureExtractor } from '../../src/media/features-wav2vec2.ts';
import { whisperFeatureExtractor, whisperWindows } from '../../src/media/features-whisper.ts';

// Whisper's preprocessor_config.json (openai/whisper-tiny), without the precomputed mel_filters.
const whisperConfig = {
  feature_extractor_type: 'WhisperFeatureExtractor',
  feature_size: 80,
  sampling_rate: 16000,
  hop_length: 160,
  chunk_length: 30,
  n_fft: 400,
  n_samples: 480000,
  nb_max_frames: 3000,
  padding_side: 'right',
  padding_value: 0.0,
  return_attention_mask: false,
};

/** mulberry32: a seeded PRNG, so the noise is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two tones plus seeded noise, `seconds` long at 16 kHz. */
function speechLike(seconds: number, seed = 1): Float32Array {
  const next = random(seed);
  return Float32Array.from(
    { length: Math.round(seconds * 16000) },
    (_, i) =>
      0.4 * Math.sin((2 * Math.PI * 220 * i) / 16000) +
      0.2 * Math.sin((2 * Math.PI * 1800 * i) / 16000) +
      0.05 * (next() * 2 - 1),
  );
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('Whisper log-mel features agree with transformers.js', () => {
  const reference = new WhisperFeatureExtractor(structuredClone(whisperConfig));

  for (const seconds of [3.7, 30, 41])
    it(`for ${seconds} s of audio (padded or cut to 30 s) within 1e-4`, async () => {
      const pcm = speechLike(seconds);
      const ours = whisperFeatureExtractor(whisperConfig)(pcm);
      const theirs = (await reference(pcm)).input_features;
      expect(ours.dims).toEqual(theirs.dims);
      expect(maxDifference(ours.inputFeatures, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    });

  it('with the mel_filters a config carries, in either orientation', async () => {
    const filters = reference.config.mel_filters as number[][]; // [80][201], computed by transformers.js
    const transposed = (filters[0] as number[]).map((_, k) => filters.map((row) => row[k] as number));
    const pcm = speechLike(2, 7);
    const expected = whisperFeatureExtractor(whisperConfig)(pcm).inputFeatures;
    for (const mel_filters of [filters, transposed])
      expect(
        maxDifference(
          whisperFeatureExtractor({ ...whisperConfig, mel_filters })(pcm).inputFeatures,
          expected,
        ),
      ).toBeLessThanOrEqual(1e-5);
  });

  it('for a 128-bin config (large-v3 style)', async () => {
    const config = { ...whisperConfig, feature_size: 128 };
    const pcm = speechLike(5, 3);
    const theirs = (await new WhisperFeatureExtractor(structuredClone(config))(pcm)).input_features;
    const ours = whisperFeatureExtractor(config)(pcm);
    expect(ours.dims).toEqual([1, 128, 3000]);
    expect(maxDifference(ours.inputFeatures, theirs.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  });

  it('refuses a config with dither, naming the field', () => {
    expect(() => whisperFeatureExtractor({ ...whisperConfig, dither: 1e-5 })).toThrow(/dither/);
    expect(() => whisperFeatureExtractor({ ...whisperConfig, n_fft: 'x' })).toThrow(/n_fft/);
  });
});

describe('whisperWindows', () => {
  it('keeps audio up to 30 s as one window', () => {
    const windows = whisperWindows(speechLike(12), whisperConfig);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({
      startSeconds: 0,
      endSeconds: 12,
      strideSeconds: [0, 0],
      frames: 1200,
    });
  });

  it('splits 70 s as the ASR pipeline does (30 s windows, 5 s stride: starts 0, 20, 40 s), each agreeing with transformers.js', async () => {
    const pcm = speechLike(70, 5);
    const windows = whisperWindows(pcm, whisperConfig);
    expect(windows.map((each) => [each.startSeconds, each.endSeconds, each.strideSeconds])).toEqual([
      [0, 30, [0, 5]],
      [20, 50, [5, 5]],
      [40, 70, [5, 0]],
    ]);
    const reference = new WhisperFeatureExtractor(structuredClone(whisperConfig));
    for (const each of windows) {
      const theirs = await reference(pcm.subarray(each.startSeconds * 16000, each.endSeconds * 16000));
      expect(
        maxDifference(each.inputFeatures, theirs.input_features.data as Float32Array),
      ).toBeLessThanOrEqual(1e-4);
    }
  });

  it('refuses a stride of half the window or more', () => {
    expect(() => whisperWindows(speechLike(1), whisperConfig, { strideLengthSeconds: 15 })).toThrow(
      /strideLengthSeconds/,
    );
  });
});

describe('powerSpectrum (fft.js, Bluestein for other lengths)', () => {
  for (const size of [400, 512, 30])
    it(`matches a direct DFT for a frame of ${size}`, () => {
      const next = random(size);
      const frame = Float64Array.from({ length: size }, () => next() - 0.5);
      const out = new Float64Array(size / 2 + 1);
      powerSpectrum(size)(frame, out);
      const direct = Array.from(out, (_, k) => {
        let re = 0;
        let im = 0;
        for (let n = 0; n < size; n++) {
          re += (frame[n] as number) * Math.cos((2 * Math.PI * k * n) / size);
          im -= (frame[n] as number) * Math.sin((2 * Math.PI * k * n) / size);
        }
        return re * re + im * im;
      });
      expect(maxDifference(out, direct)).toBeLessThan(1e-9);
    });
});

describe('Wav2Vec2 features agree with transformers.js', () => {
  const config = {
    feature_extractor_type: 'Wav2Vec2FeatureExtractor',
    feature_size: 1,
    sampling_rate: 16000,
    padding_side: 'right',
    padding_value: 0.0,
    do_normalize: true,
    return_attention_mask: true,
  };

  it('normalises to zero mean and unit variance within 1e-4 of transformers.js, with the attention mask', async () => {
    const pcm = speechLike(2.5, 11).map((value) => value * 0.3 + 0.05);
    const ours = wav2vec2FeatureExtractor(config)(pcm);
    const theirs = await new Wav2Vec2FeatureExtractor(structuredClone(config))(pcm);
    expect(ours.dims).toEqual(theirs.input_values.dims);
    expect(maxDifference(ours.inputValues, theirs.input_values.data as Float32Array)).toBeLessThanOrEqual(
      1e-4,
    );
    expect(ours.attentionMask).toEqual(theirs.attention_mask.data);
  });

  it('passes samples through without do_normalize and leaves the mask out when not asked', () => {
    const pcm = speechLike(0.5, 2);
    const features = wav2vec2FeatureExtractor({
      ...config,
      do_normalize: false,
      return_attention_mask: false,
    })(pcm);
    expect(features.inputValues).toBe(pcm);
    expect(features.attentionMask).toBeUndefined();
  });
});
