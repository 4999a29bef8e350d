// The OpenAI audio mappings both ways: a client encoding read back by the server half gives the
// input again, a server answer read back by the client half gives the output again.
import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  parseInput,
  speechToText,
  textToSpeech,
  UnsupportedError,
} from '../../src/index.ts';
import { openaiWire } from '../../src/protocols/index.ts';
import { encodeWav16, wavSampleRate } from '../../src/protocols/openai/wav.ts';

const { transcriptions, speech, TranscriptionRequest, TranscriptionResponse, SpeechRequest } = openaiWire;
const wire = { modelName: 'whisper-1' };
const sttInput = (input: unknown) => parseInput(speechToText.input, input);
const ttsInput = (input: unknown) => parseInput(textToSpeech.input, input);

/** A request through its multipart form and back, as the server reads it. */
async function overTheForm(request: ReturnType<typeof transcriptions.encodeRequest>) {
  const encoded = new Response(openaiWire.transcriptionForm(request));
  const form = await new Response(await encoded.arrayBuffer(), {
    headers: { 'content-type': encoded.headers.get('content-type')! },
  }).formData();
  return parseInput(TranscriptionRequest, openaiWire.transcriptionFields(form), 'body');
}

async function* asStream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

const wav = encodeWav16(new Float32Array([0, 0.5, -0.5, 1]), 16_000);

describe('OpenAI transcriptions mapping', () => {
  it('round-trips language, prompt and timestamps through the multipart form', async () => {
    const input = sttInput({ audio: wav, language: 'de', prompt: 'Mlkit', timestamps: true });
    const body = await overTheForm(transcriptions.encodeRequest(input, wire));
    expect(body.response_format).toBe('verbose_json');
    expect(body.timestamp_granularities).toEqual(['segment']);
    expect(body.filename).toBe('audio.wav');
    const decoded = transcriptions.decodeRequest(body, { modelName: 'whisper-1' });
    expect(decoded).toMatchObject({ language: 'de', prompt: 'Mlkit', timestamps: true, translate: false });
    expect(new Uint8Array(await (decoded.audio as Blob).arrayBuffer())).toEqual(wav);
  });

  it('asks for json without timestamps, and translations carry no language', async () => {
    const body = await overTheForm(
      transcriptions.encodeRequest(sttInput({ audio: wav, language: 'fr', translate: true }), wire),
    );
    expect(body.response_format).toBe('json');
    expect(body.language).toBeUndefined();
  });

  it('encodes PCM samples as a 16-bit WAV at their sample rate', async () => {
    const pcm = new Float32Array([0, 1, -1, 0.25]);
    const { file, filename } = openaiWire.audioUpload({ pcm, sampleRate: 22_050 });
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect([filename, file.type, wavSampleRate(bytes)]).toEqual(['audio.wav', 'audio/wav', 22_050]);
    const samples = new Int16Array(bytes.buffer.slice(44));
    expect(Array.from(samples)).toEqual([0, 32767, -32768, 8192]);
  });

  it('names bytes by their magic bytes (flac, mp3, ogg) and decodes data: URLs', () => {
    const named = (bytes: number[]) => openaiWire.audioUpload(new Uint8Array(bytes)).filename;
    expect(named([0x66, 0x4c, 0x61, 0x43, 0, 0])).toBe('audio.flac');
    expect(named([0x49, 0x44, 0x33, 4, 0, 0])).toBe('audio.mp3');
    expect(named([0x4f, 0x67, 0x67, 0x53, 0, 0])).toBe('audio.ogg');
    expect(named([1, 2, 3])).toBe('audio');
    const url = `data:audio/wav;base64,${Buffer.from(wav).toString('base64')}`;
    expect(openaiWire.audioUpload(url).filename).toBe('audio.wav');
  });

  it('refuses an http URL with UnsupportedError saying to pass bytes', () => {
    expect(() =>
      transcriptions.encodeRequest(sttInput({ audio: 'https://example.com/a.wav' }), wire),
    ).toThrow(UnsupportedError);
    expect(() => openaiWire.audioUpload('https://example.com/a.wav')).toThrow(/pass its bytes/);
  });

  it('round-trips a verbose_json answer with segments and language', () => {
    const output = {
      text: 'hello world',
      language: 'en',
      segments: [
        { start: 0, end: 0.5, text: 'hello' },
        { start: 0.5, end: 1.25, text: ' world' },
      ],
      usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
    };
    const answer = transcriptions.encodeResponse(output, { ...wire, responseFormat: 'verbose_json' });
    expect(answer).toMatchObject({ task: 'transcribe', duration: 1.25, language: 'en' });
    const read = TranscriptionResponse.parse(JSON.parse(JSON.stringify(answer)));
    expect(transcriptions.decodeResponse(read, wire)).toEqual(output);
  });

  it('answers text, srt and vtt as text', () => {
    const output = { text: 'hi there', segments: [{ start: 1.5, end: 62.25, text: ' hi there' }], usage: {} };
    expect(transcriptions.encodeResponse(output, { ...wire, responseFormat: 'text' })).toBe('hi there');
    expect(transcriptions.encodeResponse(output, { ...wire, responseFormat: 'srt' })).toBe(
      '1\n00:00:01,500 --> 00:01:02,250\nhi there\n',
    );
    expect(transcriptions.encodeResponse(output, { ...wire, responseFormat: 'vtt' })).toBe(
      'WEBVTT\n\n00:00:01.500 --> 00:01:02.250\nhi there\n',
    );
  });

  it('refuses word timestamps by name', () => {
    const body = { file: new Blob([wav]), filename: 'a.wav', model: 'm', timestamp_granularities: ['word'] };
    expect(() => transcriptions.decodeRequest(body as never, wire)).toThrow(/timestamp_granularities/);
  });

  it('streams transcript.text events into chunks and back', async () => {
    const chunks = [
      { type: 'text-delta', text: 'hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'finish', usage: { inputTokens: 4, outputTokens: 2, totalTokens: 6 } },
    ] as const;
    async function* source() {
      yield* chunks;
    }
    const events: { event: undefined; data: string }[] = [];
    for await (const data of openaiWire.transcriptionEvents(source()))
      events.push({ event: undefined, data });
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ type: 'transcript.text.done', text: 'hello' });
    const back = [];
    for await (const chunk of openaiWire.transcriptionStream(asStream(events), 'test')) back.push(chunk);
    expect(back).toEqual(chunks);
  });

  it('fails a stream that ends without transcript.text.done', async () => {
    const events = [
      { event: undefined, data: JSON.stringify({ type: 'transcript.text.delta', delta: 'a' }) },
    ];
    const read = async () => {
      for await (const _ of openaiWire.transcriptionStream(asStream(events), 'test'));
    };
    await expect(read()).rejects.toThrow(/without a transcript.text.done/);
  });
});

describe('OpenAI speech mapping', () => {
  it('round-trips text, voice, speed and format', () => {
    const input = ttsInput({ text: 'Hello', voice: 'nova', speed: 1.5, format: 'mp3' });
    const body = SpeechRequest.parse(JSON.parse(JSON.stringify(speech.encodeRequest(input, wire))));
    expect(body).toEqual({
      model: 'whisper-1',
      input: 'Hello',
      voice: 'nova',
      speed: 1.5,
      response_format: 'mp3',
    });
    expect(speech.decodeRequest(body, wire)).toEqual({
      text: 'Hello',
      voice: 'nova',
      speed: 1.5,
      format: 'mp3',
    });
  });

  it('takes the default voice, refuses a missing one where the server needs it, and omits it elsewhere', () => {
    const input = ttsInput({ text: 'Hi' });
    expect(speech.encodeRequest(input, { ...wire, defaultVoice: 'alloy', voiceRequired: true }).voice).toBe(
      'alloy',
    );
    expect(() => speech.encodeRequest(input, { ...wire, voiceRequired: true })).toThrow(InvalidInputError);
    expect(speech.encodeRequest(input, wire)).not.toHaveProperty('voice');
  });

  it('serves a missing response_format as wav (the task default)', () => {
    expect(speech.decodeRequest({ model: 'tts', input: 'Hi' }, wire).format).toBe('wav');
  });

  it('round-trips audio with media type and the WAV header sample rate', () => {
    const audio = encodeWav16(new Float32Array(8), 22_050);
    const answer = speech.encodeResponse(
      { audio, mediaType: 'audio/wav', sampleRate: 22_050, usage: {} },
      wire,
    );
    expect(speech.decodeResponse(answer, wire)).toEqual({
      audio,
      mediaType: 'audio/wav',
      sampleRate: 22_050,
      usage: {},
    });
  });

  it('reads raw pcm as 24 kHz (OpenAI) and an mp3 without a sample rate', () => {
    const audio = new Uint8Array(16);
    expect(
      speech.decodeResponse({ audio, contentType: 'audio/pcm' }, { ...wire, format: 'pcm' }).sampleRate,
    ).toBe(24_000);
    const mp3 = speech.decodeResponse(
      { audio, contentType: 'audio/mpeg; charset=x' },
      { ...wire, format: 'mp3' },
    );
    expect([mp3.mediaType, mp3.sampleRate]).toEqual(['audio/mpeg', undefined]);
  });
});
