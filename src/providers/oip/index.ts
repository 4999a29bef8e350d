/**
 * The Open Inference Protocol v2 client: Triton, KServe, Seldon MLServer and `@mlkit/server`
 * (`createOpenInference({ baseURL })`, scheme `oip:`). The wire is `src/protocols/oip-v2`.
 */
import type { CallContext } from '../../define-model.ts';
import { InvalidInputError } from '../../errors.ts';
import { createTransport } from '../../http/transport.ts';
import type { TransportOptions } from '../../http/types.ts';
import type { Model } from '../../model.ts';
import { classificationMapping } from '../../protocols/oip-v2/classification.ts';
import { embeddingMapping } from '../../protocols/oip-v2/embedding.ts';
import { imageClassificationMapping } from '../../protocols/oip-v2/image-classification.ts';
import { objectDetectionMapping } from '../../protocols/oip-v2/object-detection.ts';
import type { ModelMetadata, ServerMetadata } from '../../protocols/oip-v2/schemas.ts';
import { tensorMapping } from '../../protocols/oip-v2/tensor.ts';
import { type ClassificationTask, classification } from '../../tasks/classification.ts';
import { type EmbeddingTask, embedding } from '../../tasks/embedding.ts';
import { type ImageClassificationTask, imageClassification } from '../../tasks/image-classification.ts';
import { type ObjectDetectionTask, objectDetection } from '../../tasks/object-detection.ts';
import { type TensorTask, tensor } from '../../tasks/tensor.ts';
import type { TextGenerationTask } from '../../tasks/text-generation.ts';
import { createGenerateModel, type GenerateSettings } from './generate.ts';
import { createInferModel, type InferModelSettings } from './infer.ts';
import { readBlobs } from './media.ts';
import type { ProbeOptions, WaitUntilReadyOptions } from './server.ts';
import * as server from './server.ts';

export type { GenerateSettings } from './generate.ts';
export type { InferModelSettings } from './infer.ts';
export type { ProbeOptions, WaitUntilReadyOptions } from './server.ts';

/** Settings of an OIP v2 server: its URL (the root, without `/v2`) plus every transport option. */
export interface OpenInferenceSettings extends Omit<TransportOptions, 'provider' | 'modelId'> {
  /** The provider's name: the prefix of model ids and the name in errors and events. Default 'oip'. */
  name?: string;
  /** Infer with the binary tensor extension (inputs and outputs). Default false (JSON). */
  binary?: boolean;
}

/** Options of `provider.classification(model, settings)`. */
export interface OipClassificationSettings extends InferModelSettings {
  /** Class names by index, for models that answer with class indices or bare probabilities. */
  labels?: readonly string[];
}

/** Models of one OIP v2 server, and its health. */
export interface OpenInferenceProvider {
  readonly name: string;
  /** Named typed tensors in and out. */
  tensor(modelName: string, settings?: InferModelSettings): Model<TensorTask>;
  /** Feature rows or texts -> label and scores (the model's own label output, or `labels`). */
  classification(modelName: string, settings?: OipClassificationSettings): Model<ClassificationTask>;
  /** Texts -> vectors (the model's float [N, D] output). */
  embedding(modelName: string, settings?: InferModelSettings): Model<EmbeddingTask>;
  /**
   * Images -> per image its top-k labels: UINT8 [N, H, W, C] for raw pixels, BYTES [N] for encoded
   * files; answers of labels + scores, Triton's classification strings, or scores [N, C] with `labels`.
   */
  imageClassification(
    modelName: string,
    settings?: OipClassificationSettings,
  ): Model<ImageClassificationTask>;
  /** Images -> per image its detections: boxes [N, K, 4], scores [N, K], labels [N, K] (+ detection_count). */
  objectDetection(modelName: string, settings?: OipClassificationSettings): Model<ObjectDetectionTask>;
  /** Prompt -> text over the generate extension; `stream()` uses `generate_stream`. */
  textGeneration(modelName: string, settings?: GenerateSettings): Model<TextGenerationTask>;
  /** Whether the server is live (`GET v2/health/live` answers 2xx). */
  health(options?: ProbeOptions): Promise<boolean>;
  /** Whether the server (or, with `modelName`, that model) is ready to infer. */
  ready(modelName?: string, options?: ProbeOptions & { version?: string }): Promise<boolean>;
  /** Resolve once ready; a TimeoutError after `timeoutMs` (default 60 s). */
  waitUntilReady(options?: WaitUntilReadyOptions): Promise<void>;
  /** The server's name, version and extensions (`GET v2`). */
  serverMetadata(options?: ProbeOptions): Promise<ServerMetadata>;
  /** A model's metadata (`GET v2/models/{m}`): its versions, platform, inputs and outputs. Read once, then cached. */
  metadata(modelName: string, options?: ProbeOptions & { version?: string }): Promise<ModelMetadata>;
}

/**
 * Models of an Open Inference Protocol v2 server.
 *
 * @example
 * const triton = createOpenInference({ baseURL: 'http://127.0.0.1:8000' });
 * await triton.waitUntilReady({ timeoutMs: 30_000 });
 * const { predictions } = await triton.classification('iris').run({ rows: [[5.1, 3.5, 1.4, 0.2]] });
 */
export function createOpenInference(settings: OpenInferenceSettings): OpenInferenceProvider {
  if (typeof settings?.baseURL !== 'string' || settings.baseURL === '') {
    throw new InvalidInputError(
      `createOpenInference needs settings.baseURL, the server's root URL (e.g. 'http://127.0.0.1:8000'); got ${JSON.stringify(settings?.baseURL)}`,
      { issues: [{ path: 'settings.baseURL', message: 'expected a URL string' }] },
    );
  }
  const { name = 'oip', binary = false, onEvent, ...transportOptions } = settings;
  // Model events go through defineModel (model + call listeners); health and metadata calls use the provider's.
  const transport = createTransport({ ...transportOptions, provider: name });
  const probes = createTransport({ ...transportOptions, provider: name, onEvent });
  const cache = new Map<string, Promise<ModelMetadata>>();

  const metadata = (modelName: string, version: string | undefined, options: ProbeOptions = {}) => {
    const key = `${modelName}\u0000${version ?? ''}`;
    let found = cache.get(key);
    if (!found) {
      found = server.modelMetadata(probes, modelName, version, options);
      cache.set(key, found);
      // A failed read is not kept: the next call asks again.
      found.catch(() => cache.delete(key));
    }
    return found;
  };
  const inferContext = (needsMetadata: boolean) => ({
    provider: name,
    transport,
    onEvent,
    binary,
    needsMetadata,
    metadata: (modelName: string, version: string | undefined, call: CallContext) =>
      metadata(modelName, version, { signal: call.signal }),
  });

  return {
    name,
    tensor: (modelName, modelSettings = {}) =>
      createInferModel(tensor, tensorMapping, modelName, inferContext(false), modelSettings),
    classification: (modelName, modelSettings = {}) =>
      createInferModel(classification, classificationMapping, modelName, inferContext(true), modelSettings),
    embedding: (modelName, modelSettings = {}) =>
      createInferModel(embedding, embeddingMapping, modelName, inferContext(true), modelSettings),
    imageClassification: (modelName, modelSettings = {}) =>
      createInferModel(
        imageClassification,
        imageClassificationMapping,
        modelName,
        inferContext(true),
        modelSettings,
        {
          prepare: readBlobs,
          finish: (output, input) => ({
            ...output,
            predictions: output.predictions.map((row) => row.slice(0, input.topK)),
          }),
        },
      ),
    objectDetection: (modelName, modelSettings = {}) =>
      createInferModel(
        objectDetection,
        objectDetectionMapping,
        modelName,
        inferContext(true),
        modelSettings,
        {
          prepare: readBlobs,
          finish: (output, input) => ({
            ...output,
            detections: output.detections.map((list) => list.filter((d) => d.score >= input.threshold)),
          }),
        },
      ),
    textGeneration: (modelName, modelSettings) =>
      createGenerateModel(modelName, { provider: name, transport, onEvent }, modelSettings),
    health: (options) => server.isLive(probes, options),
    ready: (modelName, { version, ...options } = {}) => server.isReady(probes, modelName, version, options),
    waitUntilReady: (options) => server.waitUntilReady(probes, name, options),
    serverMetadata: (options) => server.serverMetadata(probes, options),
    metadata: (modelName, { version, ...options } = {}) => metadata(modelName, version, options),
  };
}
