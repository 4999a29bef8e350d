/**
 * @mlkit/core — one Model interface over hosted AI APIs and self-run models.
 * Contracts (Model, tasks, errors), remote providers and composition.
 *
 * @module @mlkit/core
 */
export { abortErrorOf, deadline, raceAbort, sleep, throwIfAborted } from './abort.ts';
export * from './compose/index.ts';
export { type CallContext, defineModel, type ModelImplementation } from './define-model.ts';
export * from './errors.ts';
export { createTransport } from './http/transport.ts';
export { type Capabilities, isModel, type Model, type ModelEvent, type RunOptions } from './model.ts';
export {
  createOpenAICompatible,
  type EmbeddingSettings,
  type ListModelsOptions,
  type ModelInfo,
  type OpenAICompatibleProvider,
  type OpenAICompatibleSettings,
  openai,
  type TextGenerationDefaults,
  type TextGenerationSettings,
} from './providers/openai-compatible/index.ts';
export type { OpenAIModelOptions } from './providers/openai-compatible/schemes.ts';
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
