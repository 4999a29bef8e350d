/**
 * The OpenAI-compatible provider: OpenAI itself, and any server that speaks its API (vLLM, Ollama,
 * llama.cpp, TGI, LM Studio, @mlkit/server) through `baseURL`.
 */
import { InvalidInputError } from '../../errors.ts';
import { createTransport } from '../../http/transport.ts';
import type { Transport, TransportOptions } from '../../http/types.ts';
import type { Model } from '../../model.ts';
import type { EmbeddingTask } from '../../tasks/embedding.ts';
import type { SpeechToTextTask } from '../../tasks/speech-to-text.ts';
import type { TextGenerationTask } from '../../tasks/text-generation.ts';
import type { TextToSpeechTask } from '../../tasks/text-to-speech.ts';
import { createChatModel, type TextGenerationSettings } from './chat.ts';
import { createEmbeddingModel, type EmbeddingSettings } from './embeddings.ts';
import { type ListModelsOptions, listModels, type ModelInfo } from './models.ts';
import { createSpeechModel, type SpeechSettings } from './speech.ts';
import { createTranscriptionModel, type TranscriptionSettings } from './transcription.ts';

export type { TextGenerationDefaults, TextGenerationSettings } from './chat.ts';
export type { EmbeddingSettings } from './embeddings.ts';
export type { ListModelsOptions, ModelInfo } from './models.ts';
export type { SpeechSettings } from './speech.ts';
export type { TranscriptionSettings } from './transcription.ts';

/** Settings of an OpenAI-compatible server: its name and URL plus every transport option (apiKey, maxRetries, ...). */
export interface OpenAICompatibleSettings extends Omit<TransportOptions, 'provider' | 'modelId'> {
  /** The provider's name: the prefix of model ids ('vllm:my-model') and the name in errors and events. */
  name: string;
}

/** Models of one OpenAI-compatible server. */
export interface OpenAICompatibleProvider {
  readonly name: string;
  /**
   * A text-generation model over chat/completions, id `name:modelName`. `topK` is sent as `top_k`
   * to every server except OpenAI's (named 'openai'), which rejects parameters it does not know.
   */
  textGeneration(modelName: string, settings?: TextGenerationSettings): Model<TextGenerationTask>;
  /** An embedding model over embeddings, id `name:modelName`. */
  embedding(modelName: string, settings?: EmbeddingSettings): Model<EmbeddingTask>;
  /**
   * A speech-to-text model over audio/transcriptions (audio/translations with `translate: true`), id `name:modelName`.
   *
   * @example
   * const { text } = await openai().transcription('whisper-1').run({ audio: await file.bytes() });
   */
  transcription(modelName: string, settings?: TranscriptionSettings): Model<SpeechToTextTask>;
  /**
   * A text-to-speech model over audio/speech, id `name:modelName`. OpenAI needs a voice: per call
   * (`input.voice`) or in `settings.voice`.
   *
   * @example
   * const { audio } = await openai().speech('gpt-4o-mini-tts', { voice: 'alloy' }).run({ text: 'Hello' });
   */
  speech(modelName: string, settings?: SpeechSettings): Model<TextToSpeechTask>;
  /** The models the server offers (GET models). */
  listModels(options?: ListModelsOptions): Promise<ModelInfo[]>;
}

function required(
  settings: Partial<OpenAICompatibleSettings>,
  key: 'name' | 'baseURL',
  example: string,
): string {
  const value = settings[key];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidInputError(
      `createOpenAICompatible needs settings.${key} (e.g. ${example}); got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
      { issues: [{ path: `settings.${key}`, message: 'expected a non-empty string' }] },
    );
  }
  return value;
}

/**
 * Models of any OpenAI-compatible server.
 *
 * @example
 * const vllm = createOpenAICompatible({ name: 'vllm', baseURL: 'http://127.0.0.1:8000/v1' });
 * const { text } = await vllm.textGeneration('Qwen/Qwen3-0.6B').run({ prompt: 'Hi' });
 */
export function createOpenAICompatible(settings: OpenAICompatibleSettings): OpenAICompatibleProvider {
  const name = required(settings, 'name', "'vllm'");
  required(settings, 'baseURL', "'http://127.0.0.1:8000/v1'");
  // Model events go through defineModel's emit (model listener + call listener), so a model's
  // transport gets no listener: each event is delivered once.
  const { name: _name, onEvent, ...transportOptions } = settings;
  const transportFor = (modelId: string) => createTransport({ ...transportOptions, provider: name, modelId });
  const isOpenAI = name === 'openai';
  let listing: Transport | undefined;

  return {
    name,
    textGeneration(modelName, modelSettings) {
      const id = `${name}:${modelName}`;
      const context = {
        provider: name,
        transport: transportFor(id),
        onEvent,
        sendTopK: !isOpenAI,
        maxTokensField: isOpenAI ? ('max_completion_tokens' as const) : ('max_tokens' as const),
      };
      return createChatModel(id, modelName, context, modelSettings);
    },
    embedding(modelName, modelSettings) {
      const id = `${name}:${modelName}`;
      const context = { provider: name, transport: transportFor(id), onEvent };
      return createEmbeddingModel(id, modelName, context, modelSettings);
    },
    transcription(modelName, modelSettings) {
      const id = `${name}:${modelName}`;
      const context = { provider: name, transport: transportFor(id), onEvent };
      return createTranscriptionModel(id, modelName, context, modelSettings);
    },
    speech(modelName, modelSettings) {
      const id = `${name}:${modelName}`;
      const context = { provider: name, transport: transportFor(id), onEvent, voiceRequired: isOpenAI };
      return createSpeechModel(id, modelName, context, modelSettings);
    },
    listModels(options = {}) {
      // No defineModel here: the transport calls the provider's listener, then the call's.
      listing ??= createTransport({ ...transportOptions, provider: name, onEvent });
      return listModels(listing, options);
    },
  };
}

/**
 * Models of OpenAI's API; the key comes from `settings.apiKey` or the OPENAI_API_KEY environment variable.
 *
 * @example
 * const model = openai().textGeneration('gpt-4o-mini');
 */
export function openai(settings: Partial<OpenAICompatibleSettings> = {}): OpenAICompatibleProvider {
  return createOpenAICompatible({
    name: 'openai',
    baseURL: 'https://api.openai.com/v1',
    apiKeyEnvVar: 'OPENAI_API_KEY',
    ...settings,
  });
}
