// speech-to-text on the exported tiny-wav2vec2 (CTC) and tiny-whisper (encoder + merged decoder) folders,
// against transformers.js 4.3.1's automatic-speech-recognition pipeline and what transformers computed in
// Python (test/fixtures/reference/vision-speech.json) on the same WAVs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import {
  AbortError,
  InvalidInputError,
  type SpeechToTextChunk,
  type TranscriptSegment,
  UnsupportedError,
} from '@mlkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/fixtures/paths.ts';
import { loadModel } from '../src/index.node.ts';
import { decodeWav } from '../src/media/audio-wav.ts';
import { recordSessions } from './ort-spy.ts';
import { loadInferred } from './support.ts';

const mediaDir = join(fixturesDir, '..', 'media');
const media = (name: string) => new Uint8Array(readFileSync(join(mediaDir, name)));
const reference = JSON.parse(
  readFileSync(join(fixturesDir, '..', 'reference', 'vision-speech.json'), 'utf8'),
);
const wav2vec2 = join(fixturesDir, 'tiny-wav2vec2');
const whisper = join(fixturesDir, 'tiny-whisper');
/** Mono samples of a fixture WAV, for transformers.js (which takes PCM in Node). */
const samplesOf = (name: string) => decodeWav(media(name)).pcm;

beforeAll(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${fixturesDir}/`;
});

async function collect(stream: AsyncIterable<SpeechToTextChunk>): Promise<SpeechToTextChunk[]> {
  const chunks: SpeechToTextChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('speech-to-text, CTC (tiny-wav2vec2)', () => {
  const expected = reference['tiny-wav2vec2']['hello-16k.wav'];

  it('is inferred from *ForCTC and transcribes as the Python pipeline does', async () => {
    const model = await loadInferred('speech-to-text', wav2vec2);
    const output = await model.run({ audio: media('hello-16k.wav') });
    expect(output.text).toBe(expected.text);
    expect(output.usage.device).toBe('cpu');
    expect(output.usage.durationMs).toBeGreaterThan(0);
    expect(model.capabilities.streaming).toBe(false);
    await model.dispose();
  });

  it('gives the text of transformers.js, also for stereo 22.05 kHz audio it mixes and resamples', async () => {
    const model = await loadModel(wav2vec2, { task: 'speech-to-text' });
    const asr = await pipeline('automatic-speech-recognition', 'tiny-wav2vec2', { dtype: 'fp32' });
    const theirs = (await asr(samplesOf('hello-16k.wav'))) as { text: string };
    expect((await model.run({ audio: media('hello-16k.wav') })).text).toBe(theirs.text);
    const stereo = await model.run({ audio: media('hello-22k-stereo.wav') });
    expect(stereo.text.length).toBeGreaterThan(0);
    await asr.dispose();
    await model.dispose();
  });

  it('refuses translate and timestamps by name, and bytes that are not audio before any run', async () => {
    const model = await loadModel(wav2vec2, { task: 'speech-to-text' });
    const audio = media('hello-16k.wav');
    await expect(model.run({ audio, translate: true })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(model.run({ audio, timestamps: true })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(
      model.run({ audio: new TextEncoder().encode('not a wav file at all') }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(model.describe().runs).toBe(0);
    await model.dispose();
  });
});

describe('speech-to-text, Whisper (tiny-whisper)', () => {
  const expected = reference['tiny-whisper']['hello-16k.wav'];
  const audio = media('hello-16k.wav');

  it('is inferred from WhisperForConditionalGeneration and transcribes as the Python pipeline does', async () => {
    const model = await loadInferred('speech-to-text', whisper);
    const output = await model.run({ audio, language: 'en' });
    expect(output.text).toBe(expected.text);
    expect(output.language).toBe('en');
    // The reference's tokens and then <|endoftext|>.
    expect(output.usage.outputTokens).toBe(expected.ids.length + 1);
    expect(model.capabilities.streaming).toBe(true);
    expect(model.describe().modelFile).toBe('onnx/decoder_model_merged.onnx');
    await model.dispose();
  });

  it('gives the timed segments of the Python pipeline', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    const output = await model.run({ audio, language: 'en', timestamps: true });
    expect(output.text).toBe(expected.timestamped.text);
    const segments: TranscriptSegment[] = expected.timestamped.chunks.map(
      (chunk: { timestamp: [number, number]; text: string }) => ({
        start: chunk.timestamp[0],
        end: chunk.timestamp[1],
        text: chunk.text,
      }),
    );
    expect(output.segments).toEqual(segments);
    await model.dispose();
  });

  it('gives the text and segments of transformers.js', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    const asr = await pipeline('automatic-speech-recognition', 'tiny-whisper', { dtype: 'fp32' });
    const samples = samplesOf('hello-16k.wav');
    const plain = (await asr(samples, { language: 'en' })) as { text: string };
    expect((await model.run({ audio, language: 'en' })).text).toBe(plain.text);
    const timed = (await asr(samples, { language: 'en', return_timestamps: true })) as {
      text: string;
      chunks: { timestamp: [number, number]; text: string }[];
    };
    const ours = await model.run({ audio, language: 'en', timestamps: true });
    expect(ours.text).toBe(timed.text);
    expect(ours.segments).toEqual(
      timed.chunks.map(({ timestamp: [start, end], text }) => ({ start, end, text })),
    );
    await asr.dispose();
    await model.dispose();
  });

  it('streams text deltas that add up to the text, segments as they close, then finish', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    const whole = await model.run({ audio, language: 'en', timestamps: true });
    const chunks = await collect(model.stream({ audio, language: 'en', timestamps: true }));
    const deltas = chunks.filter((chunk) => chunk.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((chunk) => chunk.text).join('')).toBe(whole.text);
    expect(chunks.filter((chunk) => chunk.type === 'segment').map((chunk) => chunk.segment)).toEqual(
      whole.segments,
    );
    const finish = chunks.at(-1);
    expect(finish).toMatchObject({ type: 'finish', language: 'en', usage: { device: 'cpu' } });
    await model.dispose();
  });

  it('detects the language when none is given, as transformers does', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    const output = await model.run({ audio });
    // transformers' WhisperForConditionalGeneration.detect_language on this folder and WAV picks <|en|>
    // (run through optimum's ORTModelForSpeechSeq2Seq; transformers.js assumes English instead).
    expect(output.language).toBe('en');
    expect(output.text).toBe(expected.text);
    await model.dispose();
  });

  it('translates with <|translate|> in the prompt, as transformers generates (task="translate")', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    const firstFeeds: number[][] = [];
    const { result: spied } = await recordSessions(
      () => loadModel(whisper, { task: 'speech-to-text' }),
      (record) => {
        record.onRun = (feeds) => {
          const ids = feeds.input_ids as unknown as { data: BigInt64Array } | undefined;
          if (ids && firstFeeds.length === 0) firstFeeds.push(Array.from(ids.data, Number));
        };
      },
    );
    const output = await spied.run({ audio, language: 'en', translate: true });
    const translateId = 367; // generation_config.json task_to_id.translate
    expect(firstFeeds[0]).toEqual([
      expected.prompt_ids[0],
      expected.prompt_ids[1],
      translateId,
      expected.prompt_ids[3],
    ]);
    // Python's generate(task="translate") gives the same tokens on this tiny model.
    expect(output.text).toBe(expected.text);
    await spied.dispose();
    await model.dispose();
  });

  it('transcribes audio longer than 30 s window by window, segment times offset by the window', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    const long = media('long-8k.wav');
    const seconds = decodeWav(long).pcm.length / decodeWav(long).sampleRate;
    expect(seconds).toBeGreaterThan(30);
    const before = model.describe().runs;
    const output = await model.run({ audio: long, language: 'en', timestamps: true });
    const segments = output.segments ?? [];
    expect(segments.length).toBeGreaterThan(0);
    for (const segment of segments) {
      expect(segment.end).toBeGreaterThanOrEqual(segment.start);
      expect(segment.end).toBeLessThanOrEqual(Math.ceil(seconds) + 0.01);
    }
    // A second window was encoded: its segments start at 30 s or later.
    expect(segments.some((segment) => segment.start >= 30)).toBe(true);
    expect(model.describe().runs - before).toBeGreaterThan(2);
    // The text is each 30 s window's own transcription, in order. (transformers.js's chunked pipeline
    // differs by design: its _decode_asr merges windows at their longest common token run, which here
    // swallows the second window's identical "hello world".)
    const { decodeAudio } = await import('../src/media/audio.node.ts');
    const { pcm } = await decodeAudio(long, { sampleRate: 16000 });
    const window = 30 * 16000;
    const first = await model.run({
      audio: { pcm: pcm.subarray(0, window), sampleRate: 16000 },
      language: 'en',
    });
    const second = await model.run({
      audio: { pcm: pcm.subarray(window), sampleRate: 16000 },
      language: 'en',
    });
    const whole = await model.run({ audio: { pcm, sampleRate: 16000 }, language: 'en' });
    expect(whole.text).toBe(first.text + second.text);
    await model.dispose();
  });

  it('feeds a prompt as previous text after <|startofprev|>, and leaves it out of the transcript', async () => {
    const firstFeeds: number[][] = [];
    const { result: model } = await recordSessions(
      () => loadModel(whisper, { task: 'speech-to-text' }),
      (record) => {
        record.onRun = (feeds) => {
          const ids = feeds.input_ids as unknown as { data: BigInt64Array } | undefined;
          if (ids && firstFeeds.length === 0) firstFeeds.push(Array.from(ids.data, Number));
        };
      },
    );
    const output = await model.run({ audio, language: 'en', prompt: '  hello world ' });
    // transformers' tokenizer.get_prompt_ids('hello world') is [<|startofprev|>, Ġ, hello, world] here.
    const startOfPrevious = 370; // generation_config.json prev_sot_token_id
    const space = 220;
    expect(firstFeeds[0]).toEqual([startOfPrevious, space, ...expected.ids, ...expected.prompt_ids]);
    // Python's generate(prompt_ids=...) strips the prompt and answers the same tokens on this model.
    expect(output.text).toBe(expected.text);
    await model.dispose();
  });

  it('stops between decode steps when aborted', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    const controller = new AbortController();
    const chunks: SpeechToTextChunk[] = [];
    const run = (async () => {
      for await (const chunk of model.stream({ audio, language: 'en' }, { signal: controller.signal })) {
        chunks.push(chunk);
        controller.abort();
      }
    })();
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(chunks.filter((chunk) => chunk.type === 'finish')).toHaveLength(0);
    await model.dispose();
  });

  it('refuses an unknown language, and bytes that are not audio, before any session run', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text' });
    await expect(model.run({ audio, language: 'xx' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(model.run({ audio: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(model.describe().runs).toBe(0);
    await model.dispose();
  });

  it('runs both sessions in worker threads with { worker: true }', async () => {
    const model = await loadModel(whisper, { task: 'speech-to-text', worker: true });
    const output = await model.run({ audio, language: 'en' });
    expect(output.text).toBe(expected.text);
    // One encoder run, then one decoder run per generated token.
    expect(model.describe().runs).toBe(1 + expected.ids.length + 1);
    await model.dispose();
  });

  it('releases the decoder and the encoder on dispose', async () => {
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(whisper, { task: 'speech-to-text' }),
    );
    expect(sessions).toHaveLength(2);
    await model.run({ audio, language: 'en' });
    expect(sessions.every((session) => session.runs > 0)).toBe(true);
    await model.dispose();
    expect(sessions.map((session) => session.releases)).toEqual([1, 1]);
  });
});
