/**
 * The calls of a speech-to-text model (transcription.ts) over POST audio/transcriptions
 * (audio/translations for `translate: true`): the audio as a multipart upload, streamed as
 * `transcript.text.*` events where the model can. A module of its own that the model imports at its
 * first call, so that an app that never transcribes does not load the audio mappings.
 */
import { type CallContext, defineModel } from '../../define-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Capabilities, Model, ModelEvent } from '../../model.ts';
import {
  TranscriptionResponse,
  transcriptionForm,
  transcriptionStream,
  transcriptions,
} from '../../protocols/openai/audio.ts';
import { type SpeechToTextTask, speechToText } from '../../tasks/speech-to-text.ts';
import type { ChunkOf, OutputOf, ParsedInputOf } from '../../tasks/task.ts';
import { callOptions } from './request.ts';

type Input = ParsedInputOf<SpeechToTextTask>;

/** One speech-to-text model's name and the provider's transport. */
export interface TranscriptionCallSettings {
  modelName: string;
  provider: string;
  transport: Transport;
}

/** What the transcription mapping needs of the model: its name, and the provider's for errors. */
const wireOf = ({ modelName, provider }: TranscriptionCallSettings) => ({ modelName, provider });

/** A form as request bytes and their Content-Type (with its boundary), serialised once for every retry. */
async function multipart(form: FormData): Promise<{ body: Uint8Array; contentType: string }> {
  const encoded = new Response(form);
  return {
    body: new Uint8Array(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type')!,
  };
}

/** The request of one call: its path, multipart body and headers. */
async function request(
  input: Input,
  call: CallContext,
  settings: TranscriptionCallSettings,
  stream: boolean,
) {
  // A Blob without a type is named from its magic bytes, as bytes are.
  const { audio } = input;
  const untyped = typeof Blob !== 'undefined' && audio instanceof Blob && audio.type === '';
  const bytes = untyped ? { ...input, audio: new Uint8Array(await audio.arrayBuffer()) } : input;
  const fields = transcriptions.encodeRequest(bytes, wireOf(settings));
  if (stream) fields.stream = true;
  const { body, contentType } = await multipart(transcriptionForm(fields));
  const options = callOptions(call);
  return {
    path: input.translate ? 'audio/translations' : 'audio/transcriptions',
    body,
    ...options,
    headers: { ...options.headers, 'content-type': contentType },
  };
}

/** Transcribe (or translate) `input.audio` in one request. */
export async function transcribe(
  input: Input,
  call: CallContext,
  settings: TranscriptionCallSettings,
): Promise<OutputOf<SpeechToTextTask>> {
  const response = await settings.transport.json({
    ...(await request(input, call, settings, false)),
    schema: TranscriptionResponse,
  });
  return transcriptions.decodeResponse(response, wireOf(settings));
}

/** Transcribe `input.audio` as the server streams it (`stream: true`), its events as chunks. */
export async function* streamTranscription(
  input: Input,
  call: CallContext,
  settings: TranscriptionCallSettings,
): AsyncIterable<ChunkOf<SpeechToTextTask>> {
  const { transport, provider } = settings;
  yield* transcriptionStream(transport.stream(await request(input, call, settings, true)), provider);
}

/** The speech-to-text Model itself, made at the first call of `provider.transcription(...)` (transcription.ts). */
export function transcriptionModel(
  id: string,
  onEvent: ((event: ModelEvent) => void) | undefined,
  capabilities: Capabilities,
  settings: TranscriptionCallSettings,
): Model<SpeechToTextTask> {
  const run = (input: Input, call: CallContext) => transcribe(input, call, settings);
  return defineModel({
    id,
    onEvent,
    task: speechToText,
    capabilities,
    run,
    async *stream(input, call) {
      // Translations and timed segments (verbose_json) do not stream on OpenAI: one run, as chunks.
      if (capabilities.streaming && !input.translate && !input.timestamps) {
        yield* streamTranscription(input, call, settings);
        return;
      }
      const output = await run(input, call);
      if (output.text !== '') yield { type: 'text-delta', text: output.text };
      for (const segment of output.segments ?? []) yield { type: 'segment', segment };
      yield {
        type: 'finish',
        ...(output.language ? { language: output.language } : {}),
        usage: output.usage,
      };
    },
  });
}
