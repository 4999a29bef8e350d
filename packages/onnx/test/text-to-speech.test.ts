// text-to-speech on the exported tiny-vits folder (VitsModel, noise 0 so the waveform is deterministic),
// against transformers.js 4.3.1's text-to-speech pipeline and the Python reference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { InvalidInputError, UnsupportedError } from '@mlkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/fixtures/paths.ts';
import { loadModel } from '../src/index.node.ts';
import { decodeWav } from '../src/media/audio-wav.ts';
import { vitsTokenizer } from '../src/speech/vits.ts';
import { loadInferred, maxAbsDiff } from './support.ts';

const folder = join(fixturesDir, 'tiny-vits');
const reference = JSON.parse(
  readFileSync(join(fixturesDir, '..', 'reference', 'vision-speech.json'), 'utf8'),
)['tiny-vits'] as {
  text: string;
  input_ids: number[];
  sampling_rate: number;
  length: number;
  first: number[];
};

beforeAll(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${fixturesDir}/`;
});

describe('text-to-speech, VITS (tiny-vits)', () => {
  it("tokenizes as transformers' VitsTokenizer: one id per character, blanks (id 0) between and around", () => {
    const json = (name: string) => JSON.parse(readFileSync(join(folder, name), 'utf8'));
    const encode = vitsTokenizer(
      { json: { 'vocab.json': json('vocab.json') }, tokenizerConfig: json('tokenizer_config.json') },
      'tiny-vits',
    );
    expect(encode(reference.text)).toEqual(reference.input_ids);
  });

  it('is inferred from VitsModel and answers a 16-bit WAV at config.json sampling_rate', async () => {
    const model = await loadInferred('text-to-speech', folder);
    const output = await model.run({ text: reference.text });
    expect(output.mediaType).toBe('audio/wav');
    expect(output.sampleRate).toBe(reference.sampling_rate);
    const wav = decodeWav(output.audio);
    expect(wav.sampleRate).toBe(reference.sampling_rate);
    expect(wav.pcm.length).toBe(reference.length);
    expect(output.usage.inputTokens).toBe(reference.input_ids.length);
    expect(output.usage.device).toBe('cpu');
    await model.dispose();
  });

  it('gives the waveform of the Python reference and of transformers.js within 1e-3', async () => {
    const model = await loadModel(folder, { task: 'text-to-speech' });
    const { pcm } = decodeWav((await model.run({ text: reference.text })).audio);
    expect(maxAbsDiff(pcm.subarray(0, reference.first.length), reference.first)).toBeLessThan(1e-3);
    const speak = await pipeline('text-to-speech', 'tiny-vits', { dtype: 'fp32' });
    const theirs = (await speak(reference.text)) as { audio: Float32Array; sampling_rate: number };
    expect(pcm.length).toBe(theirs.audio.length);
    expect(maxAbsDiff(pcm, theirs.audio)).toBeLessThan(1e-3);
    await speak.dispose();
    await model.dispose();
  });

  it('writes raw 16-bit little-endian samples for format pcm', async () => {
    const model = await loadModel(folder, { task: 'text-to-speech' });
    const wav = decodeWav((await model.run({ text: reference.text })).audio);
    const raw = await model.run({ text: reference.text, format: 'pcm' });
    expect(raw.mediaType).toBe('audio/pcm');
    const samples = new Int16Array(raw.audio.buffer, raw.audio.byteOffset, raw.audio.byteLength / 2);
    expect(samples.length).toBe(wav.pcm.length);
    expect(
      maxAbsDiff(
        Float32Array.from(samples, (s) => s / 32768),
        wav.pcm,
      ),
    ).toBeLessThan(1e-6);
    await model.dispose();
  });

  it('lowercases, drops characters outside the vocabulary, and then synthesises the same', async () => {
    const model = await loadModel(folder, { task: 'text-to-speech' });
    const plain = await model.run({ text: 'hello world' });
    const shouted = await model.run({ text: '  HELLO, world!  ' });
    expect(shouted.audio).toEqual(plain.audio);
    await model.dispose();
  });

  it('refuses text with none of its characters, a voice, a speed and mp3, before inference', async () => {
    const model = await loadModel(folder, { task: 'text-to-speech' });
    await expect(model.run({ text: '日本語' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(model.run({ text: 'hi', voice: 'alloy' })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(model.run({ text: 'hi', speed: 1.5 })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(model.run({ text: 'hi', format: 'mp3' })).rejects.toThrow(/wav or pcm/);
    expect(model.describe().runs).toBe(0);
    await model.dispose();
  });
});
