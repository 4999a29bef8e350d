/**
 * Speech-to-text over POST audio/transcriptions (audio/translations for `translate: true`): the
 * audio as a multipart upload, streamed as `transcript.text.*` events where the model can.
 */
import { defineModel } from '../../define-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import {
  TranscriptionResponse,
  transcriptionForm,
  transcriptionStream,
  transcriptions,
} from '../../protocols/openai/audio.ts';
import type { SpeechToTextTask } from '../../tasks/speech-to-text.ts';
import { speechToText } from '../../tasks/speech-to-text.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import { callOptions } from './request.ts';

/** Options of `provider.transcription(model, settings)`. */
export interface TranscriptionSettings {
  /**
   * The server streams `transcript.text.delta` events (`stream: true`). Default: true for model
   * names with "transcribe" (gpt-4o-transcribe, gpt-4o-mini-transcribe), false otherwise (whisper-1
   * refuses `stream`); without it, `stream()` runs the call once and yields its text as one delta.
   */
  streaming?: boolean;
}

/** What transcription.ts needs from the provider. */
export interface TranscriptionContext {
  provider: string;
  transport: Transport;
  /** The provider's listener for every call's events. */
  onEvent?: ((event: ModelEvent) => void) | undefined;
}

type Input = ParsedInputOf<SpeechToTextTask>;

/** A form as request bytes and their Content-Type (with its boundary), serialised once for every retry. */
async function multipart(form: FormData): Promise<{ body: Uint8Array; contentType: string }> {
  const encoded = new Response(form);
  return {
    body: new Uint8Array(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type')!,
  };
}

/** Build the speech-to-text Model for one served model. */
export function createTranscriptionModel(
  id: string,
  modelName: string,
  context: TranscriptionContext,
  settings: TranscriptionSettings = {},
): Model<SpeechToTextTask> {
  const { provider, transport } = context;
  const streaming = settings.streaming ?? /transcribe/i.test(modelName);
  const wire = { modelName, provider };

  /** The request of one call: its path, multipart body and headers. */
  async function request(input: Input, call: Parameters<typeof callOptions>[0], stream: boolean) {
    // A Blob without a type is named from its magic bytes, as bytes are.
    const { audio } = input;
    const untyped = typeof Blob !== 'undefined' && audio instanceof Blob && audio.type === '';
    const bytes = untyped ? { ...input, audio: new Uint8Array(await audio.arrayBuffer()) } : input;
    const fields = transcriptions.encodeRequest(bytes, wire);
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

  const run = async (input: Input, call: Parameters<typeof callOptions>[0]) => {
    const response = await transport.json({
      ...(await request(input, call, false)),
      schema: TranscriptionResponse,
    });
    return transcriptions.decodeResponse(response, wire);
  };

  return defineModel({
    id,
    onEvent: context.onEvent,
    task: speechToText,
    capabilities: { streaming, batching: false, local: false },

    run,

    async *stream(input, call) {
      // Translations and timed segments (verbose_json) do not stream on OpenAI: one run, as chunks.
      if (streaming && !input.translate && !input.timestamps) {
        yield* transcriptionStream(transport.stream(await request(input, call, true)), provider);
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
