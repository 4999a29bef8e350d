/** Text-to-speech over POST audio/speech: JSON in, the audio's bytes out. */
import { deferModel } from '../../defer-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import type { TextToSpeechTask } from '../../tasks/text-to-speech.ts';

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

/** Build the text-to-speech Model for one served model; its code loads with its first call. */
export function createSpeechModel(
  id: string,
  modelName: string,
  context: SpeechContext,
  settings: SpeechSettings = {},
): Model<TextToSpeechTask> {
  const callSettings = {
    modelName,
    transport: context.transport,
    voiceRequired: context.voiceRequired,
    defaultVoice: settings.voice,
    pcmSampleRate: settings.pcmSampleRate,
  };
  const capabilities = { streaming: false, batching: false, local: false };
  // The audio mappings (and their WAV code) load with the first call (speech-calls.ts, through lazy.ts).
  return deferModel({ id, task: 'text-to-speech', capabilities, streams: false }, async () =>
    (await import('../../lazy.ts')).speechModel(id, context.onEvent, capabilities, callSettings),
  );
}
