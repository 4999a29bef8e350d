import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createModel, createOpenAICompatible, openai, UnsupportedError } from '../../src/index.ts';
import { encodeWav16 } from '../../src/protocols/openai/wav.ts';
import { BASE_URL, collect, data, mockServer, sseResponse } from './openai-compatible/support.ts';

const server = mockServer();
const provider = createOpenAICompatible({ name: 'local', baseURL: BASE_URL, maxRetries: 0 });
const wav = encodeWav16(new Float32Array([0, 0.25, -0.25]), 16_000);

/** A fake transcriptions endpoint that records each multipart form it gets and answers `answer`. */
function transcriptionsEndpoint(path: string, answer: (form: FormData) => Response) {
  const forms: FormData[] = [];
  server.use(
    http.post(`${BASE_URL}/${path}`, async ({ request }) => {
      const form = await request.formData();
      forms.push(form);
      return answer(form);
    }),
  );
  return forms;
}

describe('openai-compatible transcription', () => {
  it('uploads the audio as multipart with model, language and prompt, and reads json', async () => {
    const forms = transcriptionsEndpoint('audio/transcriptions', () =>
      HttpResponse.json({
        text: 'hello',
        usage: { type: 'tokens', input_tokens: 7, output_tokens: 1, total_tokens: 8 },
      }),
    );
    const result = await provider
      .transcription('whisper-1')
      .run({ audio: wav, language: 'en', prompt: 'Greeting' });
    expect(result).toEqual({ text: 'hello', usage: { inputTokens: 7, outputTokens: 1, totalTokens: 8 } });
    const form = forms[0]!;
    const file = form.get('file') as File;
    expect([file.name, file.type]).toEqual(['audio.wav', 'audio/wav']);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(wav);
    expect(Object.fromEntries([...form.entries()].filter(([k]) => k !== 'file'))).toEqual({
      model: 'whisper-1',
      language: 'en',
      prompt: 'Greeting',
      response_format: 'json',
    });
  });

  it('asks for verbose_json with segment timestamps and reads segments and language', async () => {
    const forms = transcriptionsEndpoint('audio/transcriptions', () =>
      HttpResponse.json({
        task: 'transcribe',
        language: 'english',
        duration: 1,
        text: 'a b',
        segments: [
          { id: 0, seek: 0, start: 0, end: 0.5, text: 'a', tokens: [], temperature: 0 },
          { id: 1, seek: 0, start: 0.5, end: 1, text: ' b', tokens: [], temperature: 0 },
        ],
      }),
    );
    const result = await provider.transcription('whisper-1').run({ audio: wav, timestamps: true });
    expect(forms[0]!.get('response_format')).toBe('verbose_json');
    expect(forms[0]!.getAll('timestamp_granularities[]')).toEqual(['segment']);
    expect(result.language).toBe('english');
    expect(result.segments).toEqual([
      { start: 0, end: 0.5, text: 'a' },
      { start: 0.5, end: 1, text: ' b' },
    ]);
  });

  it('sends translate: true to audio/translations', async () => {
    transcriptionsEndpoint('audio/translations', () => HttpResponse.json({ text: 'in English' }));
    const { text } = await provider.transcription('whisper-1').run({ audio: wav, translate: true });
    expect(text).toBe('in English');
  });

  it('names an untyped Blob from its magic bytes', async () => {
    const forms = transcriptionsEndpoint('audio/transcriptions', () => HttpResponse.json({ text: '' }));
    await provider.transcription('whisper-1').run({ audio: new Blob([wav]) });
    expect((forms[0]!.get('file') as File).name).toBe('audio.wav');
  });

  it('refuses an https URL before any request, saying to pass bytes', async () => {
    await expect(
      provider.transcription('whisper-1').run({ audio: 'https://example.com/a.wav' }),
    ).rejects.toThrow(UnsupportedError);
  });

  it('streams text deltas from gpt-4o-transcribe', async () => {
    const forms = transcriptionsEndpoint('audio/transcriptions', () =>
      sseResponse([
        data({ type: 'transcript.text.delta', delta: 'Hel' }),
        data({ type: 'transcript.text.delta', delta: 'lo' }),
        data({ type: 'transcript.text.done', text: 'Hello' }),
      ]),
    );
    const chunks = await collect(provider.transcription('gpt-4o-transcribe').stream({ audio: wav }));
    expect(forms[0]!.get('stream')).toBe('true');
    expect(chunks).toEqual([
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'finish', usage: {} },
    ]);
  });

  it('streams whisper-1 as one run (it refuses stream)', async () => {
    const forms = transcriptionsEndpoint('audio/transcriptions', () => HttpResponse.json({ text: 'whole' }));
    const chunks = await collect(provider.transcription('whisper-1').stream({ audio: wav }));
    expect(forms[0]!.get('stream')).toBeNull();
    expect(chunks).toEqual([
      { type: 'text-delta', text: 'whole' },
      { type: 'finish', usage: {} },
    ]);
  });

  it("is createModel('openai:whisper-1') with the speech-to-text task", async () => {
    transcriptionsEndpoint('audio/transcriptions', () => HttpResponse.json({ text: 'ok' }));
    const model = await createModel('openai:whisper-1', {
      baseURL: BASE_URL,
      apiKey: 'sk-test',
      maxRetries: 0,
    });
    expect(model.task).toBe('speech-to-text');
    const explicit = await createModel('openai:whisper-1', {
      task: 'speech-to-text',
      baseURL: BASE_URL,
      apiKey: 'sk-test',
      maxRetries: 0,
    });
    expect(await explicit.run({ audio: wav })).toMatchObject({ text: 'ok' });
  });
});

describe('openai-compatible speech', () => {
  function speechEndpoint(audio: Uint8Array, contentType: string) {
    const bodies: unknown[] = [];
    server.use(
      http.post(`${BASE_URL}/audio/speech`, async ({ request }) => {
        bodies.push(await request.json());
        return new HttpResponse(audio, { headers: { 'content-type': contentType } });
      }),
    );
    return bodies;
  }

  it('posts text, voice, speed and wav, and reads the audio with its sample rate', async () => {
    const audio = encodeWav16(new Float32Array(4), 24_000);
    const bodies = speechEndpoint(audio, 'audio/wav');
    const result = await provider.speech('tts-1').run({ text: 'Hi', voice: 'nova', speed: 1.25 });
    expect(bodies[0]).toEqual({
      model: 'tts-1',
      input: 'Hi',
      voice: 'nova',
      speed: 1.25,
      response_format: 'wav',
    });
    expect(result).toEqual({ audio, mediaType: 'audio/wav', sampleRate: 24_000, usage: {} });
  });

  it("reads raw pcm at OpenAI's 24 kHz", async () => {
    speechEndpoint(new Uint8Array(8), 'audio/pcm');
    const result = await provider.speech('tts-1').run({ text: 'Hi', format: 'pcm' });
    expect([result.mediaType, result.sampleRate, result.audio.length]).toEqual(['audio/pcm', 24_000, 8]);
  });

  it('OpenAI: uses settings.voice, and refuses a call with no voice before any request', async () => {
    const bodies = speechEndpoint(new Uint8Array(4), 'audio/mpeg');
    const hosted = openai({ baseURL: BASE_URL, apiKey: 'sk-test', maxRetries: 0 });
    await hosted.speech('gpt-4o-mini-tts', { voice: 'alloy' }).run({ text: 'Hi', format: 'mp3' });
    expect(bodies[0]).toMatchObject({ voice: 'alloy' });
    await expect(hosted.speech('gpt-4o-mini-tts').run({ text: 'Hi' })).rejects.toThrow(/needs a voice/);
    expect(bodies).toHaveLength(1);
  });
});
