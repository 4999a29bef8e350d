/**
 * Speech-to-text over POST audio/transcriptions (audio/translations for `translate: true`),
 * streamed where the model can; the requests are in transcription-calls.ts.
 */
import type { CallContext } from '../../define-model.ts';
import { defineModel } from '../../define-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import type { SpeechToTextTask } from '../../tasks/speech-to-text.ts';
import { speechToText } from '../../tasks/speech-to-text.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';

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

// The audio mappings load with the first call, not with every app that makes a provider.
const loadCalls = () => import('./transcription-calls.ts');

/** Build the speech-to-text Model for one served model. */
export function createTranscriptionModel(
  id: string,
  modelName: string,
  context: TranscriptionContext,
  settings: TranscriptionSettings = {},
): Model<SpeechToTextTask> {
  const { provider, transport } = context;
  const streaming = settings.streaming ?? /transcribe/i.test(modelName);
  const callSettings = { modelName, provider, transport };

  const run = async (input: Input, call: CallContext) => {
    const { transcribe } = await loadCalls();
    return transcribe(input, call, callSettings);
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
        const { streamTranscription } = await loadCalls();
        yield* streamTranscription(input, call, callSettings);
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
