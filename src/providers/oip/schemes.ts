/** The `oip:` scheme of `createModel()`: `oip:http://host:8000/<model>[/versions/<v>]`. */
import { InvalidInputError } from '../../errors.ts';
import type { Model } from '../../model.ts';
import type { ModelProvider } from '../types.ts';
import { createOpenInference, type OpenInferenceProvider, type OpenInferenceSettings } from './index.ts';

/** Options of `createModel('oip:...')`: the server's settings and the model's. */
export interface OipModelOptions extends Omit<OpenInferenceSettings, 'baseURL'> {
  /** Default 'classification' (the usual model behind OIP: rows or texts in, labels out). */
  task?:
    | 'tensor'
    | 'classification'
    | 'embedding'
    | 'text-generation'
    | 'image-classification'
    | 'object-detection';
  /** Classification: class names by index. */
  labels?: readonly string[];
}

/** Split `http://host:8000/prefix/iris/versions/2` into the server's root, the model and its version. */
export function parseOipSpec(id: string): { baseURL: string; modelName: string; version?: string } {
  const server = '(https?:\\/\\/[^/?#]+(?:\\/[^?#]*?)?)';
  const match =
    new RegExp(`^${server}\\/([^/?#]+)\\/versions\\/([^/?#]+)\\/?$`).exec(id) ??
    new RegExp(`^${server}\\/([^/?#]+)\\/?$`).exec(id);
  if (!match) {
    throw new InvalidInputError(
      `"oip:${id}" must look like oip:http://host:8000/<model> or oip:http://host:8000/<model>/versions/<v>`,
      { issues: [{ path: 'spec', message: 'expected oip:<server URL>/<model>[/versions/<version>]' }] },
    );
  }
  const [, root, modelName, version] = match as unknown as [string, string, string, string | undefined];
  return {
    // `oip:http://host/v2/models/iris` names the same model as `oip:http://host/iris`.
    baseURL: root.replace(/\/v2\/models$/, ''),
    modelName: decodeURIComponent(modelName),
    ...(version && { version: decodeURIComponent(version) }),
  };
}

type ModelSettings = { version?: string; binary?: boolean; labels?: readonly string[] };

/** The model each task makes, as a table. */
const MODELS: Record<
  string,
  (provider: OpenInferenceProvider, modelName: string, settings: ModelSettings) => Model
> = {
  tensor: (provider, modelName, { labels: _, ...settings }) => provider.tensor(modelName, settings) as Model,
  classification: (provider, modelName, settings) => provider.classification(modelName, settings) as Model,
  embedding: (provider, modelName, { labels: _, ...settings }) =>
    provider.embedding(modelName, settings) as Model,
  'image-classification': (provider, modelName, settings) =>
    provider.imageClassification(modelName, settings) as Model,
  'object-detection': (provider, modelName, settings) =>
    provider.objectDetection(modelName, settings) as Model,
  'text-generation': (provider, modelName, { version }) =>
    provider.textGeneration(modelName, version === undefined ? {} : { version }) as Model,
};

/** `oip:http://127.0.0.1:8000/iris` — a model on a Triton, KServe, MLServer or `@mlkit/server` OIP v2 server. */
export const oipScheme: ModelProvider = {
  scheme: 'oip',
  create(id, options) {
    const { task = 'classification', labels, binary, ...settings } = options as OipModelOptions;
    const { baseURL, modelName, version } = parseOipSpec(id);
    const provider = createOpenInference({ ...settings, baseURL });
    const model = { ...(version !== undefined && { version }), ...(binary !== undefined && { binary }) };
    const make = Object.hasOwn(MODELS, task) ? MODELS[task] : undefined;
    if (!make) {
      throw new InvalidInputError(
        `"oip:" models run ${Object.keys(MODELS).join(', ')}, not "${task as string}"`,
        { issues: [{ path: 'options.task', message: `expected one of ${Object.keys(MODELS).join(', ')}` }] },
      );
    }
    return make(provider, modelName, { ...model, ...(labels && { labels }) });
  },
};
