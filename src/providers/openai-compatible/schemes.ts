/** The `openai:` and `openai-compatible:` schemes of `createModel()`. */
import { InvalidInputError } from '../../errors.ts';
import { readEnv } from '../../http/auth.ts';
import type { Model } from '../../model.ts';
import type { CreateModelOptions, ModelProvider } from '../types.ts';
import type { TextGenerationSettings } from './chat.ts';
import type { EmbeddingSettings } from './embeddings.ts';
import {
  createOpenAICompatible,
  type OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
  openai,
} from './index.ts';
import type { SpeechSettings } from './speech.ts';
import type { TranscriptionSettings } from './transcription.ts';

/** Options of `createModel('openai:...')` and `createModel('openai-compatible:...')`: the server's settings and the model's. */
export interface OpenAIModelOptions
  extends Partial<OpenAICompatibleSettings>,
    TextGenerationSettings,
    EmbeddingSettings,
    TranscriptionSettings,
    SpeechSettings {
  /**
   * Default from the model's name: 'embedding' with "embed", 'speech-to-text' with "whisper" or
   * "transcribe", 'text-to-speech' with "tts", else 'text-generation'.
   */
  task?: 'text-generation' | 'embedding' | 'speech-to-text' | 'text-to-speech';
}

/** Splits createModel()'s options into the provider's settings and the model's settings. */
function split(options: CreateModelOptions) {
  const {
    task,
    defaults,
    maxBatchSize,
    concurrency,
    encodingFormat,
    streaming,
    voice,
    pcmSampleRate,
    ...provider
  } = options;
  return {
    task,
    provider: provider as Partial<OpenAICompatibleSettings>,
    model: { defaults, maxBatchSize, concurrency, encodingFormat, streaming, voice, pcmSampleRate } as never,
  };
}

/** The task a model's name implies when createModel() is given none. */
function taskOfName(id: string): NonNullable<OpenAIModelOptions['task']> {
  if (/embed/i.test(id)) return 'embedding';
  if (/whisper|transcribe/i.test(id)) return 'speech-to-text';
  if (/tts/i.test(id)) return 'text-to-speech';
  return 'text-generation';
}

function modelOf(
  provider: OpenAICompatibleProvider,
  scheme: string,
  id: string,
  { task: given, model: settings }: ReturnType<typeof split>,
): Model {
  // Without a task, the id says it: 'text-embedding-3-small' embeds, 'whisper-1' transcribes, 'tts-1' speaks.
  const task = given ?? taskOfName(id);
  if (task === 'text-generation') return provider.textGeneration(id, settings) as Model;
  if (task === 'embedding') return provider.embedding(id, settings) as Model;
  if (task === 'speech-to-text') return provider.transcription(id, settings) as Model;
  if (task === 'text-to-speech') return provider.speech(id, settings) as Model;
  throw new InvalidInputError(
    `"${scheme}:" models run text-generation, embedding, speech-to-text or text-to-speech, not "${task}"`,
    {
      issues: [
        {
          path: 'options.task',
          message: 'expected "text-generation", "embedding", "speech-to-text" or "text-to-speech"',
        },
      ],
    },
  );
}

/** `openai:gpt-4o-mini` — OpenAI's API; options are OpenAICompatibleSettings plus the model's settings. */
export const openaiScheme: ModelProvider = {
  scheme: 'openai',
  create(id, options) {
    const parts = split(options);
    return modelOf(openai(parts.provider), 'openai', id, parts);
  },
};

/**
 * `openai-compatible:my-model` — any OpenAI-compatible server, at `options.baseURL` or else the
 * MLKIT_BASE_URL environment variable; the key is `options.apiKey` or else MLKIT_API_KEY (none is fine).
 */
export const openaiCompatibleScheme: ModelProvider = {
  scheme: 'openai-compatible',
  create(id, options) {
    // Read at call time, not at import: edge runtimes have no `process`.
    const baseURL = options.baseURL === undefined ? readEnv('MLKIT_BASE_URL') : options.baseURL;
    if (typeof baseURL !== 'string' || baseURL === '') {
      throw new InvalidInputError(
        `"openai-compatible:${id}" needs options.baseURL or the MLKIT_BASE_URL environment variable: the server's URL (e.g. 'http://127.0.0.1:8000/v1')`,
        { issues: [{ path: 'options.baseURL', message: 'expected a URL string' }] },
      );
    }
    const parts = split(options);
    const settings: OpenAICompatibleSettings = {
      name: 'openai-compatible',
      apiKeyEnvVar: 'MLKIT_API_KEY',
      ...parts.provider,
      baseURL,
    };
    return modelOf(createOpenAICompatible(settings), 'openai-compatible', id, parts);
  },
};
