// Speech models across the AI SDK boundary, checked with the real `ai` 7 functions: an mlkit
// speech-to-text model under `transcribe`, a text-to-speech one under `generateSpeech`, and AI SDK
// transcription and speech models (ai/test's mocks) as mlkit models.
import type { TranscriptionModelV4CallOptions } from '@ai-sdk/provider';
import { aiSdkTranscriptionModel, fromMlkit, toMlkit } from '@mlkit/ai-sdk';
import {
  defineModel,
  InvalidInputError,
  type ParsedInputOf,
  type SpeechToTextTask,
  speechToText,
  textToSpeech,
  UnsupportedError,
} from '@mlkit/core';
import { generateSpeech, transcribe } from 'ai';
import { MockSpeechModelV4, MockTranscriptionModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';

/** A 16-bit mono WAV of `samples` at `sampleRate` (the header as RIFF defines it). */
function wav(samples: number, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples * 2, true);
  return bytes;
}

/** An mlkit speech-to-text model that reports the bytes it got and records its inputs. */
function listener() {
  const inputs: ParsedInputOf<SpeechToTextTask>[] = [];
  const model = defineModel({
    id: 'fake:listener',
    task: speechToText,
    capabilities: { streaming: false, batching: false, local: true },
    async run(input) {
      inputs.push(input);
      const size = input.audio instanceof Uint8Array ? input.audio.length : -1;
      return {
        text: `heard ${size} bytes`,
        language: input.language ?? 'en',
        ...(input.timestamps ? { segments: [{ start: 0, end: 1.5, text: `heard ${size} bytes` }] } : {}),
        usage: {},
      };
    },
  });
  return { model, inputs };
}

describe('fromMlkit(speech-to-text) under ai.transcribe', () => {
  it('transcribes the bytes given, with segments when asked for, and the language from providerOptions', async () => {
    const { model, inputs } = listener();
    const audio = wav(800, 16_000);
    const result = await transcribe({
      model: fromMlkit(model),
      audio,
      timestampGranularities: ['segment'],
      providerOptions: { mlkit: { language: 'de' } },
    });
    expect(result.text).toBe(`heard ${audio.length} bytes`);
    expect(result.language).toBe('de');
    expect(result.segments).toEqual([
      { text: `heard ${audio.length} bytes`, startSecond: 0, endSecond: 1.5 },
    ]);
    expect(inputs[0]).toMatchObject({ language: 'de', timestamps: true });
  });

  it('warns that word timestamps are not available instead of dropping the request silently', async () => {
    const { model } = listener();
    const result = await transcribe({
      model: fromMlkit(model),
      audio: wav(10, 8000),
      timestampGranularities: ['word'],
    });
    expect(result.warnings).toEqual([
      expect.objectContaining({ type: 'unsupported', feature: 'timestampGranularities word' }),
    ]);
  });
});

describe('fromMlkit(text-to-speech) under ai.generateSpeech', () => {
  const speaker = defineModel({
    id: 'fake:speaker',
    task: textToSpeech,
    capabilities: { streaming: false, batching: false, local: true },
    async run(input) {
      return { audio: wav(input.text.length, 22_050), mediaType: 'audio/wav', sampleRate: 22_050, usage: {} };
    },
  });

  it('returns the model audio bytes and warns for instructions it has no field for', async () => {
    const result = await generateSpeech({
      model: fromMlkit(speaker),
      text: 'hello',
      outputFormat: 'wav',
      instructions: 'slowly',
    });
    expect(result.audio.uint8Array).toEqual(wav(5, 22_050));
    expect(result.audio.mediaType).toBe('audio/wav');
    expect(result.warnings).toEqual([
      expect.objectContaining({ type: 'unsupported', feature: 'instructions' }),
    ]);
  });

  it('warns for an output format mlkit does not write, and uses wav', async () => {
    const result = await generateSpeech({ model: fromMlkit(speaker), text: 'hi', outputFormat: 'ogg' });
    expect(result.warnings).toEqual([expect.objectContaining({ feature: 'outputFormat ogg' })]);
    expect(result.audio.uint8Array.length).toBe(44 + 4);
  });
});

describe('toMlkit of AI SDK transcription and speech models', () => {
  it('sends the bytes with their media type and the language in the provider own options', async () => {
    const calls: TranscriptionModelV4CallOptions[] = [];
    const aiModel = new MockTranscriptionModelV4({
      provider: 'openai.transcription',
      modelId: 'whisper-1',
      doGenerate: async (options) => {
        calls.push(options);
        return {
          text: 'bonjour',
          segments: [{ text: 'bonjour', startSecond: 0, endSecond: 0.8 }],
          language: 'fr',
          durationInSeconds: 0.8,
          warnings: [],
          response: { timestamp: new Date(), modelId: 'whisper-1' },
        };
      },
    });
    const model = toMlkit(aiModel, { task: 'speech-to-text' });
    const output = await model.run({ audio: wav(100, 16_000), language: 'fr', timestamps: true });
    expect(output).toMatchObject({
      text: 'bonjour',
      language: 'fr',
      segments: [{ start: 0, end: 0.8, text: 'bonjour' }],
    });
    expect(calls[0]).toMatchObject({
      mediaType: 'audio/wav',
      timestampGranularities: ['segment'],
      providerOptions: { openai: { language: 'fr' } },
    });
  });

  it('refuses PCM samples and translate by name before calling the AI SDK model', async () => {
    let called = 0;
    const model = aiSdkTranscriptionModel(
      new MockTranscriptionModelV4({
        doGenerate: async () => {
          called++;
          throw new Error('not reached');
        },
      }),
    );
    await expect(
      model.run({ audio: { pcm: new Float32Array(16), sampleRate: 16_000 } }),
    ).rejects.toBeInstanceOf(UnsupportedError);
    await expect(model.run({ audio: wav(4, 8000), translate: true })).rejects.toThrow(/do not translate/);
    await expect(model.run({ audio: 'file:///x.wav' })).rejects.toBeInstanceOf(InvalidInputError);
    expect(called).toBe(0);
  });

  it('decodes a base64 speech answer to bytes and reads the WAV sample rate', async () => {
    const audio = wav(10, 24_000);
    const model = toMlkit(
      new MockSpeechModelV4({
        doGenerate: async () => ({
          audio: btoa(String.fromCharCode(...audio)),
          warnings: [],
          response: { timestamp: new Date(), modelId: 'tts-1' },
        }),
      }),
      { task: 'text-to-speech' },
    );
    const output = await model.run({ text: 'hello' });
    expect(output.audio).toEqual(audio);
    expect(output).toMatchObject({ mediaType: 'audio/wav', sampleRate: 24_000 });
  });

  it('asks which kind a doGenerate-only model is when no task is given', () => {
    expect(() => toMlkit(new MockSpeechModelV4() as never)).toThrow(/pass \{ task: "speech-to-text" \}/);
  });
});
