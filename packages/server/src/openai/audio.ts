import {
  parseInput,
  type SpeechToTextOutput,
  type SpeechToTextTask,
  type TextToSpeechOutput,
} from '@mlkit/core';
import { openaiWire } from '@mlkit/core/protocols';
import type { App, ServerContext } from '../context.ts';
import type { HttpError } from '../errors.ts';
import type { SseEvent } from '../sse.ts';
import { formFile, readMultipart } from '../upload.ts';

const { SpeechRequest, TranscriptionRequest, speech, transcriptions } = openaiWire;

/** What the audio routes take from the other OpenAI routes: how a stream is answered and a failure inside it reported. */
export interface AudioRouteHelpers {
  streamed(
    scope: { hold(): () => void },
    stream: { close(): Promise<void> },
    events: AsyncIterable<string | SseEvent>,
  ): Response;
  failureOf(error: unknown): HttpError;
}

const TEXT_TYPES = {
  text: 'text/plain; charset=utf-8',
  srt: 'text/plain; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
};

/**
 * OpenAI's audio routes: `/v1/audio/transcriptions` and `/v1/audio/translations` (a multipart
 * upload within `limits.maxUploadBytes`, answered as json, text, verbose_json, srt or vtt, or as
 * `transcript.text.*` events with `stream`) for a speech-to-text model, and `/v1/audio/speech`
 * (JSON in, the audio's bytes out with their Content-Type) for a text-to-speech model.
 */
export function audioRoutes(app: App, context: ServerContext, helpers: AudioRouteHelpers): void {
  const { streamed, failureOf } = helpers;

  // After a 200, a failure is the stream's last event, in OpenAI's error shape.
  async function* withErrorEvent(events: AsyncIterable<string>): AsyncGenerator<string> {
    try {
      yield* events;
    } catch (error) {
      const failure = failureOf(error);
      yield JSON.stringify(openaiWire.errorBody(failure));
    }
  }

  for (const [path, translate] of [
    ['/v1/audio/transcriptions', false],
    ['/v1/audio/translations', true],
  ] as const) {
    app.post(path, async (c) => {
      const scope = c.get('scope');
      const form = await readMultipart(c.req.raw, context.options.limits, scope.signal);
      const file = await formFile(form, 'file');
      const body = parseInput(TranscriptionRequest, openaiWire.transcriptionFields(form), 'body');
      const runner = context.runnerFor(
        body.model,
        ['speech-to-text'],
        translate ? 'translation requests' : 'transcription requests',
      );
      c.set('model', runner.name);
      const wire = { modelName: body.model, responseFormat: body.response_format, translate };
      // The model gets the file's bytes: every local decoder reads them without a Blob round trip.
      const input = { ...transcriptions.decodeRequest(body, wire), audio: file.bytes };
      if (body.stream) {
        const format = body.response_format ?? 'json';
        if (format !== 'json' && format !== 'text') {
          throw openaiWire.unsupported(
            `stream is supported with response_format json or text, not ${format}`,
            'stream',
          );
        }
        const stream = await runner.stream<SpeechToTextTask>(input, scope.signal);
        return streamed(scope, stream, withErrorEvent(openaiWire.transcriptionEvents(stream)));
      }
      const output = await runner.run<SpeechToTextOutput>(input, scope.signal);
      const answer = transcriptions.encodeResponse(output, wire);
      if (typeof answer !== 'string') return c.json(answer);
      const format = body.response_format as keyof typeof TEXT_TYPES;
      return c.body(answer, 200, { 'Content-Type': TEXT_TYPES[format] });
    });
  }

  app.post('/v1/audio/speech', async (c) => {
    const body = await context.readBody(c, SpeechRequest);
    const runner = context.runnerFor(body.model, ['text-to-speech'], 'speech requests');
    c.set('model', runner.name);
    const wire = { modelName: body.model };
    const input = speech.decodeRequest(body, wire);
    // OpenAI's API (and so its SDKs' types) require a voice; a single-speaker model has none to pick.
    const headers: Record<string, string> = {};
    const voices = runner.model.capabilities.voices;
    if (input.voice !== undefined && voices?.length === 0) {
      headers['x-mlkit-warning'] = `voice "${input.voice}" ignored: ${body.model} has one speaker`;
      delete input.voice;
    }
    const output = await runner.run<TextToSpeechOutput>(input, c.get('scope').signal);
    const answer = speech.encodeResponse(output, wire);
    return c.body(answer.audio as Uint8Array<ArrayBuffer>, 200, {
      ...headers,
      'Content-Type': answer.contentType,
    });
  });
}
