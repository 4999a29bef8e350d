/**
 * @mlkit/core — one Model interface over hosted AI APIs and self-run models.
 * Contracts (Model, tasks, errors), remote providers and composition.
 *
 * @module @mlkit/core
 */
export { abortErrorOf, deadline, raceAbort, sleep, throwIfAborted } from './abort.ts';
export * from './compose/index.ts';
export {
  type ConfiguredModel,
  createModelFromConfig,
  ModelConfig,
  type ModelConfigInput,
  type ModelConfigOutput,
} from './config.ts';
export { type CallContext, defineModel, type ModelImplementation } from './define-model.ts';
export * from './errors.ts';
export { createTransport } from './http/transport.ts';
export {
  type Capabilities,
  isModel,
  type Model,
  type ModelEvent,
  type ModelSignature,
  type RunOptions,
  type TensorSignature,
} from './model.ts';
export * from './providers/oip/public.ts';
export {
  createOpenAICompatible,
  type EmbeddingSettings,
  type ListModelsOptions,
  type ModelInfo,
  type OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
  openai,
  type SpeechSettings,
  type TextGenerationDefaults,
  type TextGenerationSettings,
  type TranscriptionSettings,
} from './providers/openai-compatible/index.ts';
export type { OpenAIModelOptions } from './providers/openai-compatible/schemes.ts';
export {
  createPredict,
  type PredictAnswer,
  type PredictItems,
  type PredictSettings,
} from './providers/predict/index.ts';
export type { PredictModelOptions } from './providers/predict/schemes.ts';
export {
  createPredictImageClassification,
  createPredictObjectDetection,
  type PredictVisionSettings,
} from './providers/predict/vision.ts';
export {
  createTFServing,
  type TFServingClassificationSettings,
  type TFServingMetadata,
  type TFServingModelRef,
  type TFServingPredictSettings,
  type TFServingProvider,
  type TFServingRequestOptions,
  type TFServingSettings,
  type TFServingTensorInfo,
  type TFServingTensorSettings,
  type TFServingVersionStatus,
} from './providers/tf-serving/index.ts';
export type { TFServingModelOptions } from './providers/tf-serving/schemes.ts';
export {
  type CreateModelOptions,
  createModel,
  type ModelOptions,
  type ModelProvider,
  type ProviderOptionsByScheme,
  registeredSchemes,
  registerProvider,
} from './registry.ts';
export * from './tasks/index.ts';
export { parseInput } from './validate.ts';
