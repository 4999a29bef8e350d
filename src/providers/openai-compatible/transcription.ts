/**
 * Speech-to-text over POST audio/transcriptions (audio/translations for `translate: true`),
 * streamed where the model can; the model itself and its requests are in transcription-calls.ts.
 */
import { deferModel } from '../../defer-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import type { SpeechToTextTask } from '../../tasks/speech-to-text.ts';

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

/** Build the speech-to-text Model for one served model; its code loads with its first call. */
export function createTranscriptionModel(
  id: string,
  modelName: string,
  context: TranscriptionContext,
  settings: TranscriptionSettings = {},
): Model<SpeechToTextTask> {
  const { provider, transport } = context;
  const streaming = settings.streaming ?? /transcribe/i.test(modelName);
  const capabilities = { streaming, batching: false, local: false };
  // The audio mappings load with the first call (transcription-calls.ts, through lazy.ts).
  return deferModel({ id, task: 'speech-to-text', capabilities, streams: true }, async () =>
    (await import('../../lazy.ts')).transcriptionModel(id, context.onEvent, capabilities, {
      modelName,
      provider,
      transport,
    }),
  );
}
