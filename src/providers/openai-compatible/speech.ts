/** Text-to-speech over POST audio/speech: JSON in, the audio's bytes out. */
import { defineModel } from '../../define-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import { speech } from '../../protocols/openai/audio.ts';
import type { TextToSpeechTask } from '../../tasks/text-to-speech.ts';
import { textToSpeech } from '../../tasks/text-to-speech.ts';
import { callOptions } from './request.ts';

/** Options of `provider.speech(model, settings)`. */
export interface SpeechSettings {
  /** The voice of calls that name none, e.g. 'alloy'. OpenAI needs one of the two; other servers fall back to their own. */
  voice?: string;
  /** Samples per second of raw `pcm` answers (they carry no header). Default 24000, OpenAI's rate. */
  pcmSampleRate?: number;
}

/** What speech.ts needs from the provider. */
export interface SpeechContext {
  provider: string;
  transport: Transport;
  /** The server requires a voice (OpenAI's does). */
  voiceRequired: boolean;
  /** The provider's listener for every call's events. */
  onEvent?: ((event: ModelEvent) => void) | undefined;
}

/** Build the text-to-speech Model for one served model. */
export function createSpeechModel(
  id: string,
  modelName: string,
  context: SpeechContext,
  settings: SpeechSettings = {},
): Model<TextToSpeechTask> {
  const { transport } = context;
  return defineModel({
    id,
    onEvent: context.onEvent,
    task: textToSpeech,
    capabilities: { streaming: false, batching: false, local: false },

    async run(input, call) {
      const wire = {
        modelName,
        defaultVoice: settings.voice,
        voiceRequired: context.voiceRequired,
        format: input.format,
        pcmSampleRate: settings.pcmSampleRate,
      };
      const response = await transport.bytes({
        path: 'audio/speech',
        body: speech.encodeRequest(input, wire),
        accept: '*/*',
        ...callOptions(call),
      });
      const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
      return speech.decodeResponse({ audio: response.bytes, contentType }, wire);
    },
  });
}
