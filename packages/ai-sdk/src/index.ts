/**
 * @mlkit/ai-sdk — mlkit models inside the Vercel AI SDK (`LanguageModelV4`, `EmbeddingModelV4`) and
 * AI SDK models inside mlkit (`fallback`, `route`, `cache`, `meter`).
 *
 * @module @mlkit/ai-sdk
 */
import type { EmbeddingModelV4, LanguageModelV4 } from '@ai-sdk/provider';
import type { EmbeddingTask, Model, TextGenerationTask } from '@mlkit/core';
import { UnsupportedError } from '@mlkit/core';
import { type MlkitEmbeddingModelOptions, mlkitEmbeddingModel } from './embedding-model.ts';
import { type MlkitLanguageModelOptions, mlkitLanguageModel } from './language-model.ts';
import { aiSdkEmbeddingModel, aiSdkLanguageModel, type ToMlkitOptions } from './to-mlkit.ts';

export type { MlkitProviderOptions } from './call-options.ts';
export { type MlkitEmbeddingModelOptions, mlkitEmbeddingModel } from './embedding-model.ts';
export { type MlkitLanguageModelOptions, mlkitLanguageModel } from './language-model.ts';
export { aiSdkEmbeddingModel, aiSdkLanguageModel, type ToMlkitOptions } from './to-mlkit.ts';

/**
 * An mlkit Model as an AI SDK model: text generation as a `LanguageModelV4`, embedding as an
 * `EmbeddingModelV4`. Other tasks have no AI SDK model type yet and throw UnsupportedError.
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
  model: Model<TextGenerationTask> | Model<EmbeddingTask>,
  options: MlkitLanguageModelOptions & MlkitEmbeddingModelOptions = {},
): LanguageModelV4 | EmbeddingModelV4 {
  if (model.task === 'text-generation')
    return mlkitLanguageModel(model as Model<TextGenerationTask>, options);
  if (model.task === 'embedding') return mlkitEmbeddingModel(model as Model<EmbeddingTask>, options);
  throw new UnsupportedError(
    `fromMlkit takes text-generation and embedding models (got ${(model as Model).task} from ${(model as Model).id})`,
    { param: 'model' },
  );
}

/**
 * An AI SDK model as an mlkit Model: a `LanguageModelV4` as text generation, an `EmbeddingModelV4`
 * as embedding, validated and checked by `defineModel` like every mlkit model.
 *
 * @example
 * const model = fallback([toMlkit(openai('gpt-4o-mini')), await loadModel('./smollm')]);
 */
export function toMlkit(model: LanguageModelV4, options?: ToMlkitOptions): Model<TextGenerationTask>;
export function toMlkit(model: EmbeddingModelV4, options?: ToMlkitOptions): Model<EmbeddingTask>;
export function toMlkit(
  model: LanguageModelV4 | EmbeddingModelV4,
  options: ToMlkitOptions = {},
): Model<TextGenerationTask> | Model<EmbeddingTask> {
  if (model.specificationVersion !== 'v4') {
    throw new UnsupportedError(
      `toMlkit takes AI SDK v4 models (ai 7, @ai-sdk/provider 4); got specificationVersion ${JSON.stringify((model as { specificationVersion?: unknown }).specificationVersion)}`,
      { param: 'model' },
    );
  }
  if ('doEmbed' in model) return aiSdkEmbeddingModel(model, options);
  return aiSdkLanguageModel(model, options);
}
