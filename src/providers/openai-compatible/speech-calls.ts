/**
 * The calls of a text-to-speech model (speech.ts) over POST audio/speech. A module of its own that
 * the model imports at its first call, so that an app that never speaks does not load the audio
 * mappings (and their WAV code).
 */
import { type CallContext, defineModel } from '../../define-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Capabilities, Model, ModelEvent } from '../../model.ts';
import { speech } from '../../protocols/openai/audio.ts';
import type { OutputOf, ParsedInputOf } from '../../tasks/task.ts';
import { type TextToSpeechTask, textToSpeech } from '../../tasks/text-to-speech.ts';
import { callOptions } from './request.ts';

/** One text-to-speech model's settings and the provider's transport. */
export interface SpeechCallSettings {
  modelName: string;
  transport: Transport;
  /** The server requires a voice (OpenAI's does). */
  voiceRequired: boolean;
  defaultVoice: string | undefined;
  pcmSampleRate: number | undefined;
}

/** Speak `input.text`: JSON in, the audio's bytes and their format out. */
export async function synthesize(
  input: ParsedInputOf<TextToSpeechTask>,
  call: CallContext,
  settings: SpeechCallSettings,
): Promise<OutputOf<TextToSpeechTask>> {
  const { transport, ...model } = settings;
  const wire = { ...model, format: input.format };
  const response = await transport.bytes({
    path: 'audio/speech',
    body: speech.encodeRequest(input, wire),
    accept: '*/*',
    ...callOptions(call),
  });
  const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
  return speech.decodeResponse({ audio: response.bytes, contentType }, wire);
}

/** The text-to-speech Model itself, made at the first call of `provider.speech(...)` (speech.ts). */
export function speechModel(
  id: string,
  onEvent: ((event: ModelEvent) => void) | undefined,
  capabilities: Capabilities,
  settings: SpeechCallSettings,
): Model<TextToSpeechTask> {
  return defineModel({
    id,
    onEvent,
    task: textToSpeech,
    capabilities,
    run: (input, call) => synthesize(input, call, settings),
  });
}
