import { InvalidInputError, NetworkError } from '@mlkit/core';
import { describe, expect, it } from 'vitest';
import * as wavefile from 'wavefile';
import { decodeAudio } from '../../src/media/audio.node.ts';
import { resample } from '../../src/media/audio-resample.ts';
import { encodeWav } from '../../src/media/audio-wav.ts';

const { WaveFile } =
  'WaveFile' in wavefile ? wavefile : (wavefile as unknown as { default: typeof wavefile }).default;

/** A WAV written by wavefile itself from integer (or float) samples per channel. */
function wavOf(bitDepth: string, sampleRate: number, channels: number[][]): Uint8Array<ArrayBuffer> {
  const wav = new WaveFile();
  wav.fromScratch(channels.length, sampleRate, bitDepth, channels);
  return wav.toBuffer() as Uint8Array<ArrayBuffer>;
}

const left = [0, 0.5, -0.5, 0.25, -1];
const right = [0.25, -0.25, 0, 0.75, 0.5];

describe('decodeAudio (Node): WAV', () => {
  const cases: [string, (value: number) => number, number][] = [
    ['8', (value) => Math.round(value * 128) + 128, 1 / 128],
    ['16', (value) => Math.round(value * 32768), 1 / 32768],
    ['24', (value) => Math.round(value * 2 ** 23), 2 ** -23],
    ['32', (value) => Math.round(value * 2 ** 31), 2 ** -31],
    ['32f', (value) => value, 1e-7],
  ];
  for (const [bitDepth, toSample, tolerance] of cases)
    it(`reads ${bitDepth}-bit mono at its own rate, scaled by 2^(bits-1)`, async () => {
      const clamp = (value: number) => (bitDepth === '32f' ? value : Math.min(value, 1 - tolerance));
      const bytes = wavOf(bitDepth, 22050, [left.map((value) => toSample(clamp(value)))]);
      const { pcm, sampleRate } = await decodeAudio(bytes);
      expect(sampleRate).toBe(22050);
      expect(pcm).toHaveLength(left.length);
      pcm.forEach((value, i) => {
        expect(Math.abs(value - clamp(left[i] as number))).toBeLessThanOrEqual(tolerance);
      });
    });

  it('mixes stereo to mono by the mean of the channels', async () => {
    const [l, r] = [left, right].map((channel) => channel.map((value) => Math.round(value * 32767))) as [
      number[],
      number[],
    ];
    const { pcm } = await decodeAudio(wavOf('16', 16000, [l, r]));
    pcm.forEach((value, i) => {
      expect(value).toBeCloseTo(((l[i] as number) + (r[i] as number)) / 2 / 32768, 7);
    });
  });

  it('reads an ArrayBuffer, a Blob and a data: URL of the same WAV alike', async () => {
    const bytes = encodeWav(Float32Array.from(left), 16000);
    const expected = (await decodeAudio(bytes)).pcm;
    const buffer = bytes.slice().buffer;
    const url = `data:audio/wav;base64,${Buffer.from(bytes).toString('base64')}`;
    for (const source of [buffer, new Blob([bytes]), url, new URL(url)])
      expect((await decodeAudio(source)).pcm).toEqual(expected);
  });

  it('fetches an http(s) URL with the fetch it is given', async () => {
    const bytes = encodeWav(Float32Array.from(left), 8000);
    const fakeFetch = async () => new Response(bytes);
    const { pcm, sampleRate } = await decodeAudio('https://example.test/a.wav', {
      fetch: fakeFetch as typeof fetch,
    });
    expect(sampleRate).toBe(8000);
    expect(pcm).toHaveLength(left.length);
  });

  it('encodeWav and decodeAudio round-trip 32-bit float exactly and 16-bit within one step', async () => {
    const pcm = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10) * 0.9);
    expect((await decodeAudio(encodeWav(pcm, 16000, { bitDepth: '32f' }))).pcm).toEqual(pcm);
    const back = (await decodeAudio(encodeWav(pcm, 16000))).pcm;
    back.forEach((value, i) => {
      expect(Math.abs(value - (pcm[i] as number))).toBeLessThanOrEqual(1 / 32768);
    });
  });
});

describe('decodeAudio: PCM input', () => {
  it('passes mono PCM through and mixes interleaved channels', async () => {
    const mono = Float32Array.from(left);
    expect((await decodeAudio({ pcm: mono, sampleRate: 16000 })).pcm).toBe(mono);
    const interleaved = Float32Array.from(left.flatMap((value, i) => [value, right[i] as number]));
    const { pcm } = await decodeAudio({ pcm: interleaved, sampleRate: 16000, channels: 2 });
    pcm.forEach((value, i) => {
      expect(value).toBeCloseTo(((left[i] as number) + (right[i] as number)) / 2, 6);
    });
  });

  it('resamples to options.sampleRate', async () => {
    const pcm = new Float32Array(44100).fill(0.25);
    const decoded = await decodeAudio({ pcm, sampleRate: 44100 }, { sampleRate: 16000 });
    expect(decoded.sampleRate).toBe(16000);
    expect(Math.abs(decoded.pcm.length - 16000)).toBeLessThanOrEqual(1);
  });
});

describe('decodeAudio: errors', () => {
  const refuse = async (source: unknown, pattern: RegExp, options = {}) => {
    const error = await decodeAudio(source as never, options).catch((caught) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(pattern);
  };

  it('names what it saw when the bytes are not a WAV', () =>
    refuse(new TextEncoder().encode('hello, not audio at all'), /no known audio format.*accepted: WAV/));

  it('says MP3 is decoded in browsers only, and that PCM is accepted', () =>
    refuse(Uint8Array.of(0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0), /a MP3 file.*browsers only.*PCM/));

  it('refuses a truncated WAV header', () =>
    refuse(
      encodeWav(Float32Array.from(left), 16000).subarray(0, 20),
      /Cannot decode the audio: got a WAV file/,
    ));

  it('refuses empty bytes and empty PCM', async () => {
    await refuse(new Uint8Array(0), /empty/);
    await refuse({ pcm: new Float32Array(0), sampleRate: 16000 }, /no samples/);
  });

  it('refuses bytes over maxBytes before decoding, and a URL body over it', async () => {
    const bytes = encodeWav(new Float32Array(1000), 16000);
    await refuse(bytes, /larger than maxBytes \(100 bytes\)/, { maxBytes: 100 });
    const fakeFetch = async () => new Response(bytes);
    await refuse(
      'https://example.test/big.wav?token=secret',
      /example\.test\/big\.wav is larger than maxBytes/,
      {
        maxBytes: 100,
        fetch: fakeFetch,
      },
    );
  });

  it('keeps a URL query string (a credential in signed URLs) out of fetch errors', async () => {
    const failing = async () => {
      throw new TypeError('fetch failed');
    };
    const error = await decodeAudio('https://example.test/a.wav?sig=secret', {
      fetch: failing as never,
    }).catch((caught) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).not.toMatch(/secret/);
  });

  it('refuses file: URLs and PCM that is not whole frames', async () => {
    await refuse('file:///etc/passwd', /http\(s\): or data: URL/);
    await refuse({ pcm: new Float32Array(3), sampleRate: 16000, channels: 2 }, /whole number of frames/);
  });
});

describe('resample (libsamplerate)', () => {
  const tone = (rate: number, seconds: number) =>
    Float32Array.from({ length: rate * seconds }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));

  for (const from of [22050, 44100])
    it(`turns a 440 Hz tone at ${from} Hz into the same tone at 16 kHz (within 1e-5)`, async () => {
      const out = await resample(tone(from, 2), from, 16000);
      expect(Math.abs(out.length - 32000)).toBeLessThanOrEqual(1);
      const expected = tone(16000, 2);
      let worst = 0;
      // The first and last few ms hold the filter's edge transient.
      for (let i = 100; i < out.length - 100; i++)
        worst = Math.max(worst, Math.abs((out[i] as number) - (expected[i] as number)));
      expect(worst).toBeLessThan(1e-5);
    });

  it('removes what is above the new Nyquist frequency', async () => {
    const high = Float32Array.from({ length: 44100 }, (_, i) => Math.sin((2 * Math.PI * 12000 * i) / 44100));
    const out = await resample(high, 44100, 16000);
    let energy = 0;
    for (let i = 200; i < out.length - 200; i++) energy += (out[i] as number) ** 2;
    expect(energy / (out.length - 400)).toBeLessThan(1e-4);
  });

  it('returns the input at the same rate and refuses a rate that is not positive', async () => {
    const pcm = tone(16000, 1);
    expect(await resample(pcm, 16000, 16000)).toBe(pcm);
    await expect(resample(pcm, 0, 16000)).rejects.toThrow(/fromRate must be a positive/);
  });
});
