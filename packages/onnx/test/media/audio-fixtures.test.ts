import { existsSync, readFileSync } from 'node:fs';
import { WhisperFeatureExtractor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import * as wavefile from 'wavefile';
import { decodeAudio } from '../../src/media/audio.node.ts';
import { whisperFeatureExtractor, whisperWindows } from '../../src/media/features-whisper.ts';

// The WAVs scripts/fixtures/export.py writes (espeak-ng speech): 16 kHz mono, 22.05 kHz stereo
// (right = left / 2), and 32 s at 8 kHz.
const { WaveFile: WaveFileClass } =
  'WaveFile' in wavefile ? wavefile : (wavefile as unknown as { default: typeof wavefile }).default;

const media = new URL('../../../../test/fixtures/media/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, media));
const present = ['hello-16k.wav', 'hello-22k-stereo.wav', 'long-8k.wav'].every((name) =>
  existsSync(new URL(name, media)),
);

const config = {
  feature_size: 80,
  sampling_rate: 16000,
  hop_length: 160,
  chunk_length: 30,
  n_fft: 400,
  n_samples: 480000,
  nb_max_frames: 3000,
};

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe.skipIf(!present)('fixture WAVs (test/fixtures/media)', () => {
  const reference = new WhisperFeatureExtractor(structuredClone(config));

  it('decodes hello-16k.wav at its rate, with Whisper features within 1e-4 of transformers.js', async () => {
    const { pcm, sampleRate } = await decodeAudio(fixture('hello-16k.wav'));
    expect(sampleRate).toBe(16000);
    expect(pcm).toHaveLength(28158);
    const theirs = (await reference(pcm)).input_features.data as Float32Array;
    expect(maxDifference(whisperFeatureExtractor(config)(pcm).inputFeatures, theirs)).toBeLessThanOrEqual(
      1e-4,
    );
  });

  it('mixes hello-22k-stereo.wav to mono and resamples it to 16 kHz', async () => {
    const native = await decodeAudio(fixture('hello-22k-stereo.wav'));
    expect(native.sampleRate).toBe(22050);
    expect(native.pcm).toHaveLength(27780);
    // The mean of the two channels as wavefile reads them, 16-bit integers over 32768.
    const [left, right] = new WaveFileClass(fixture('hello-22k-stereo.wav')).getSamples(
      false,
      Float64Array,
    ) as unknown as [Float64Array, Float64Array];
    expect(
      maxDifference(
        native.pcm,
        left.map((value, i) => (value + (right[i] as number)) / 2 / 32768),
      ),
    ).toBeLessThan(1e-7);
    const resampled = await decodeAudio(fixture('hello-22k-stereo.wav'), { sampleRate: 16000 });
    expect(resampled.sampleRate).toBe(16000);
    expect(Math.abs(resampled.pcm.length - Math.round((27780 * 16000) / 22050))).toBeLessThanOrEqual(1);
    // Resampling keeps the loudness: the RMS of speech (all below 8 kHz) stays within 1%.
    const rms = (pcm: Float32Array) =>
      Math.sqrt(pcm.reduce((sum, value) => sum + value * value, 0) / pcm.length);
    expect(rms(resampled.pcm) / rms(native.pcm)).toBeCloseTo(1, 2);
  });

  it('splits long-8k.wav (32 s) into two Whisper windows, each within 1e-4 of transformers.js', async () => {
    const { pcm } = await decodeAudio(fixture('long-8k.wav'), { sampleRate: 16000 });
    const windows = whisperWindows(pcm, config);
    expect(windows.map((each) => each.startSeconds)).toEqual([0, 20]);
    for (const each of windows) {
      const slice = pcm.subarray(Math.round(each.startSeconds * 16000), Math.round(each.endSeconds * 16000));
      const theirs = (await reference(slice)).input_features.data as Float32Array;
      expect(maxDifference(each.inputFeatures, theirs)).toBeLessThanOrEqual(1e-4);
    }
  });
});
