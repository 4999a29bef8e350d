/**
 * @mlkit/ai-sdk — mlkit models inside the Vercel AI SDK (`LanguageModelV4`, `EmbeddingModelV4`,
 * `TranscriptionModelV4`, `SpeechModelV4`) and AI SDK models inside mlkit (`fallback`, `route`,
 * `cache`, `meter`).
 *
 * @module @mlkit/ai-sdk
 */
import type {
  EmbeddingModelV4,
  LanguageModelV4,
  SpeechModelV4,
  TranscriptionModelV4,
} from '@ai-sdk/provider';
import type {
  EmbeddingTask,
  Model,
  SpeechToTextTask,
  TextGenerationTask,
  TextToSpeechTask,
} from '@mlkit/core';
import { UnsupportedError } from '@mlkit/core';
import { type MlkitEmbeddingModelOptions, mlkitEmbeddingModel } from './embedding-model.ts';
import { type MlkitLanguageModelOptions, mlkitLanguageModel } from './language-model.ts';
import { aiSdkSpeechModel, type MlkitSpeechModelOptions, mlkitSpeechModel } from './speech-model.ts';
import { aiSdkEmbeddingModel, aiSdkLanguageModel, type ToMlkitOptions } from './to-mlkit.ts';
import {
  aiSdkTranscriptionModel,
  type MlkitTranscriptionModelOptions,
  mlkitTranscriptionModel,
} from './transcription-model.ts';

export type { MlkitProviderOptions } from './call-options.ts';
export { type MlkitEmbeddingModelOptions, mlkitEmbeddingModel } from './embedding-model.ts';
export { type MlkitLanguageModelOptions, mlkitLanguageModel } from './language-model.ts';
export { aiSdkSpeechModel, type MlkitSpeechModelOptions, mlkitSpeechModel } from './speech-model.ts';
export { aiSdkEmbeddingModel, aiSdkLanguageModel, type ToMlkitOptions } from './to-mlkit.ts';
export {
  aiSdkTranscriptionModel,
  type MlkitTranscriptionModelOptions,
  mlkitTranscriptionModel,
} from './transcription-model.ts';

/**
 * An mlkit Model as an AI SDK model: text generation as a `LanguageModelV4`, embedding as an
 * `EmbeddingModelV4`, speech-to-text as a `TranscriptionModelV4`, text-to-speech as a
 * `SpeechModelV4`. Other tasks (image classification, object detection, tensor, classification) have
 * no AI SDK model type and throw UnsupportedError.
 *
 * @example
 * const { text } = await generateText({ model: fromMlkit(await loadModel('./smollm')), prompt: 'Hi' });
 */
export function fromMlkit(
  model: Model<TextGenerationTask>,
  options?: MlkitLanguageModelOptions,
): LanguageModelV4;
export function fromMlkit(
  model: Model<EmbeddingTask>,
  options?: MlkitEmbeddingModelOptions,
): EmbeddingModelV4;
export function fromMlkit(
  model: Model<SpeechToTextTask>,
  options?: MlkitTranscriptionModelOptions,
): TranscriptionModelV4;
export function fromMlkit(model: Model<TextToSpeechTask>, options?: MlkitSpeechModelOptions): SpeechModelV4;
export function fromMlkit(
  model: Model<TextGenerationTask> | Model<EmbeddingTask> | Model<SpeechToTextTask> | Model<TextToSpeechTask>,
  options: MlkitLanguageModelOptions & MlkitEmbeddingModelOptions = {},
): LanguageModelV4 | EmbeddingModelV4 | TranscriptionModelV4 | SpeechModelV4 {
  if (model.task === 'text-generation')
    return mlkitLanguageModel(model as Model<TextGenerationTask>, options);
  if (model.task === 'embedding') return mlkitEmbeddingModel(model as Model<EmbeddingTask>, options);
  if (model.task === 'speech-to-text')
    return mlkitTranscriptionModel(model as Model<SpeechToTextTask>, options);
  if (model.task === 'text-to-speech') return mlkitSpeechModel(model as Model<TextToSpeechTask>, options);
  throw new UnsupportedError(
    `fromMlkit takes text-generation, embedding, speech-to-text and text-to-speech models (got ${(model as Model).task} from ${(model as Model).id})`,
    { param: 'model' },
  );
}

/**
 * An AI SDK model as an mlkit Model: a `LanguageModelV4` as text generation, an `EmbeddingModelV4`
 * as embedding, a `TranscriptionModelV4` as speech-to-text, a `SpeechModelV4` as text-to-speech,
 * validated and checked by `defineModel` like every mlkit model. A transcription and a speech model
 * both have only `doGenerate`: pass `{ task }` to say which one it is.
 *
 * @example
 * const model = fallback([toMlkit(openai('gpt-4o-mini')), await loadModel('./smollm')]);
 */
export function toMlkit(model: LanguageModelV4, options?: ToMlkitOptions): Model<TextGenerationTask>;
export function toMlkit(model: EmbeddingModelV4, options?: ToMlkitOptions): Model<EmbeddingTask>;
export function toMlkit(
  model: TranscriptionModelV4,
  options: ToMlkitOptions & { task: 'speech-to-text' },
): Model<SpeechToTextTask>;
export function toMlkit(
  model: SpeechModelV4,
  options: ToMlkitOptions & { task: 'text-to-speech' },
): Model<TextToSpeechTask>;
export function toMlkit(
  model: LanguageModelV4 | EmbeddingModelV4 | TranscriptionModelV4 | SpeechModelV4,
  options: ToMlkitOptions & { task?: 'speech-to-text' | 'text-to-speech' } = {},
): Model<TextGenerationTask> | Model<EmbeddingTask> | Model<SpeechToTextTask> | Model<TextToSpeechTask> {
  if (model.specificationVersion !== 'v4') {
    throw new UnsupportedError(
      `toMlkit takes AI SDK v4 models (ai 7, @ai-sdk/provider 4); got specificationVersion ${JSON.stringify((model as { specificationVersion?: unknown }).specificationVersion)}`,
      { param: 'model' },
    );
  }
  if ('doEmbed' in model) return aiSdkEmbeddingModel(model, options);
  if (options.task === 'speech-to-text')
    return aiSdkTranscriptionModel(model as TranscriptionModelV4, options);
  if (options.task === 'text-to-speech') return aiSdkSpeechModel(model as SpeechModelV4, options);
  // supportedUrls is required of language models and absent from transcription and speech models.
  if (!('supportedUrls' in model)) {
    throw new UnsupportedError(
      'toMlkit could not tell which kind of AI SDK model this is: pass { task: "speech-to-text" } for a transcription model or { task: "text-to-speech" } for a speech model',
      { param: 'model' },
    );
  }
  return aiSdkLanguageModel(model as LanguageModelV4, options);
}
