/** What `@mlkit/core` exports of the OIP v2 client. */
export {
  createOpenInference,
  type GenerateSettings,
  type InferModelSettings,
  type OipClassificationSettings,
  type OpenInferenceProvider,
  type OpenInferenceSettings,
  type ProbeOptions,
  type WaitUntilReadyOptions,
} from './index.ts';
export type { OipModelOptions } from './schemes.ts';
