// /v1/audio/* with the official openai SDK, unmodified, against the server on 127.0.0.1, and raw
// HTTP for the upload limits and refusals.
import { defineModel, speechToText, textToSpeech } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav16, wavSampleRate } from '../../../src/protocols/openai/wav.ts';
import { fakeChatModel } from './fakes.ts';

/** Reads the upload's bytes; says how many it got, in which language, and whether it translated. */
function fakeTranscriber() {
  const inputs: unknown[] = [];
  const model = defineModel({
    id: 'fake:stt',
    task: speechToText,
    capabilities: { streaming: true, batching: false, local: true },
    async run(input) {
      inputs.push(input);
      const bytes = input.audio as Uint8Array;
      const text = `${input.translate ? 'translated' : 'heard'} ${bytes.length} bytes${input.prompt ? ` after ${input.prompt}` : ''}`;
      return {
        text,
        language: input.language ?? 'en',
        ...(input.timestamps
          ? {
              segments: [
                { start: 0, end: 0.5, text: text.split(' ')[0]! },
                { start: 0.5, end: 1.5, text: ` ${text.split(' ').slice(1).join(' ')}` },
              ],
            }
          : {}),
        usage: { inputTokens: 10, outputTokens: 3 },
      };
    },
    async *stream(input) {
      for (const word of ['heard', ' ', String((input.audio as Uint8Array).length)])
        yield { type: 'text-delta', text: word };
      yield { type: 'finish', usage: { inputTokens: 10, outputTokens: 3 } };
    },
  });
  return { model, inputs };
}

/** Speaks a WAV of one sample per character at 16 kHz. */
const fakeSpeaker = defineModel({
  id: 'fake:tts',
  task: textToSpeech,
  capabilities: { streaming: false, batching: false, local: true },
  async run(input) {
    const audio = encodeWav16(new Float32Array(input.text.length), 16_000);
    return { audio, mediaType: 'audio/wav', sampleRate: 16_000, usage: {} };
  },
});

/** A single-speaker model (capabilities.voices []) that records the voice it was asked for. */
const voicesAsked: (string | undefined)[] = [];
const oneSpeaker = defineModel({
  id: 'fake:one-speaker',
  task: textToSpeech,
  capabilities: { streaming: false, batching: false, local: true, voices: [] },
  async run(input) {
    voicesAsked.push(input.voice);
    return {
      audio: encodeWav16(new Float32Array(4), 16_000),
      mediaType: 'audio/wav',
      sampleRate: 16_000,
      usage: {},
    };
  },
});

const wav = encodeWav16(new Float32Array(100), 16_000);
const KEY = 'sk-audio-test-key';

describe('OpenAI audio routes with the official openai SDK', () => {
  const stt = fakeTranscriber();
  let listening: Listening;
  let client: OpenAI;

  beforeAll(async () => {
    const server = createServer({
      models: {
        'tiny-whisper': stt.model,
        'tiny-tts': fakeSpeaker,
        'one-speaker': oneSpeaker,
        'tiny-gpt': fakeChatModel().model,
      },
      apiKeys: [KEY],
      limits: { maxUploadBytes: 4096 },
    });
    listening = await listen(server, { port: 0, host: '127.0.0.1' });
    client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: KEY, maxRetries: 0 });
  });
  afterAll(() => listening.close({ graceMs: 1000 }));

  const file = () => toFile(wav, 'speech.wav', { type: 'audio/wav' });

  it('transcribes a WAV upload as json, with the file bytes, language and prompt reaching the model', async () => {
    const result = await client.audio.transcriptions.create({
      model: 'tiny-whisper',
      file: await file(),
      language: 'de',
      prompt: 'Hallo',
    });
    expect(result.text).toBe(`heard ${wav.length} bytes after Hallo`);
    expect(result.usage).toEqual({ type: 'tokens', input_tokens: 10, output_tokens: 3, total_tokens: 13 });
    expect(stt.inputs.at(-1)).toMatchObject({ language: 'de', prompt: 'Hallo', timestamps: false });
    expect(stt.inputs.at(-1)).toHaveProperty('audio', new Uint8Array(wav));
  });

  it('answers response_format text as plain text', async () => {
    const text = await client.audio.transcriptions.create({
      model: 'tiny-whisper',
      file: await file(),
      response_format: 'text',
    });
    expect(text).toBe(`heard ${wav.length} bytes`);
  });

  it('answers verbose_json with segments, language and duration', async () => {
    const result = await client.audio.transcriptions.create({
      model: 'tiny-whisper',
      file: await file(),
      response_format: 'verbose_json',
      timestamp_granularities: ['segment'],
    });
    expect(result.language).toBe('en');
    expect(result.duration).toBe(1.5);
    expect(result.segments?.map(({ start, end, text }) => ({ start, end, text }))).toEqual([
      { start: 0, end: 0.5, text: 'heard' },
      { start: 0.5, end: 1.5, text: ` ${wav.length} bytes` },
    ]);
  });

  it('answers srt subtitles', async () => {
    const srt = await client.audio.transcriptions.create({
      model: 'tiny-whisper',
      file: await file(),
      response_format: 'srt',
    });
    expect(srt).toContain('1\n00:00:00,000 --> 00:00:00,500\nheard\n');
  });

  it('streams transcript.text.delta events and a done event with the whole text', async () => {
    const stream = await client.audio.transcriptions.create({
      model: 'tiny-whisper',
      file: await file(),
      stream: true,
    });
    const events: { type: string; delta?: string; text?: string }[] = [];
    for await (const event of stream) events.push(event as never);
    expect(events.filter((e) => e.type === 'transcript.text.delta').map((e) => e.delta)).toEqual([
      'heard',
      ' ',
      String(wav.length),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'transcript.text.done', text: `heard ${wav.length}` });
  });

  it('translates over /v1/audio/translations', async () => {
    const result = await client.audio.translations.create({ model: 'tiny-whisper', file: await file() });
    expect(result.text).toBe(`translated ${wav.length} bytes`);
  });

  it('speaks with audio.speech.create: WAV bytes with Content-Type audio/wav', async () => {
    const response = await client.audio.speech.create({ model: 'tiny-tts', input: 'Hello', voice: 'alloy' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const audio = new Uint8Array(await response.arrayBuffer());
    expect(wavSampleRate(audio)).toBe(16_000);
    expect(audio.length).toBe(44 + 'Hello'.length * 2);
  });

  it("leaves OpenAI's required voice out for a single-speaker model and says so in x-mlkit-warning", async () => {
    const response = await client.audio.speech.create({ model: 'one-speaker', input: 'Hi', voice: 'alloy' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-mlkit-warning')).toBe(
      'voice "alloy" ignored: one-speaker has one speaker',
    );
    expect(voicesAsked).toEqual([undefined]);
    const named = await client.audio.speech.create({ model: 'tiny-tts', input: 'Hi', voice: 'alloy' });
    expect(named.headers.get('x-mlkit-warning')).toBeNull();
  });

  it('refuses a model of another task with 400 and an unknown model with 404', async () => {
    const wrong = client.audio.transcriptions.create({ model: 'tiny-tts', file: await file() });
    await expect(wrong).rejects.toMatchObject({ status: 400, code: 'wrong_task', param: 'model' });
    const missing = client.audio.speech.create({ model: 'nope', input: 'Hi', voice: 'alloy' });
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${listening.url}${path}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${KEY}`, ...headers },
    });

  it('answers 413 for an upload over limits.maxUploadBytes, in OpenAI error shape', async () => {
    const form = new FormData();
    form.append('model', 'tiny-whisper');
    form.append('file', new Blob([new Uint8Array(8192)], { type: 'audio/wav' }), 'big.wav');
    const response = await post('/v1/audio/transcriptions', form);
    expect(response.status).toBe(413);
    const { error } = (await response.json()) as { error: { message: string; type: string } };
    expect(error.message).toMatch(/limits\.maxUploadBytes/);
    expect(error.type).toBe('invalid_request_error');
  });

  it('answers 400 for a body that is not multipart, and for a form without a file', async () => {
    const json = await post('/v1/audio/transcriptions', JSON.stringify({ model: 'tiny-whisper' }), {
      'content-type': 'application/json',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: { message: string } }).error.message).toMatch(
      /multipart\/form-data/,
    );
    const form = new FormData();
    form.append('model', 'tiny-whisper');
    const noFile = await post('/v1/audio/transcriptions', form);
    expect(noFile.status).toBe(400);
    expect(await noFile.json()).toMatchObject({ error: { param: 'file', code: 'missing_file' } });
  });
});
