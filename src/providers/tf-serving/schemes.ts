/** The `tfserving:` scheme of `createModel()`. */
import { InvalidInputError } from '../../errors.ts';
import type { Model } from '../../model.ts';
import type { ModelProvider } from '../types.ts';
import {
  createTFServing,
  type TFServingClassificationSettings,
  type TFServingSettings,
  type TFServingTensorSettings,
} from './index.ts';

/** Options of `createModel('tfserving:...')`: the server's settings and the model's. */
export interface TFServingModelOptions
  extends Omit<TFServingSettings, 'baseURL'>,
    Omit<TFServingTensorSettings, 'version' | 'versionLabel'>,
    Omit<TFServingClassificationSettings, 'version' | 'versionLabel' | 'format' | 'signatureName'> {
  /** Default 'tensor'. */
  task?: 'tensor' | 'classification';
}

/**
 * `http://host:8501/<model>[/versions/<v>|/labels/<l>]` as the server's URL, the model and its
 * servable; a `/v1/models/` before the model name is accepted too.
 */
export function parseTFServingSpec(spec: string): {
  baseURL: string;
  modelName: string;
  version?: string;
  versionLabel?: string;
} {
  const invalid = (why: string) =>
    new InvalidInputError(
      `"tfserving:${spec}" ${why}; expected tfserving:http://host:8501/<model>[/versions/<v>|/labels/<l>]`,
      { issues: [{ path: 'spec', message: why }] },
    );
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw invalid('is not an absolute URL');
  }
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let ref: { version?: string; versionLabel?: string } = {};
  const kind = parts.at(-2);
  if (kind === 'versions' || kind === 'labels') {
    const value = parts.pop()!;
    parts.pop();
    ref = kind === 'versions' ? { version: value } : { versionLabel: value };
  }
  const modelName = parts.pop();
  if (!modelName) throw invalid('names no model');
  if (parts.at(-2) === 'v1' && parts.at(-1) === 'models') parts.splice(-2, 2);
  const prefix = parts.map(encodeURIComponent).join('/');
  return { baseURL: `${url.origin}${prefix ? `/${prefix}` : ''}`, modelName, ...ref };
}

/** `tfserving:http://127.0.0.1:8501/half_plus_two` — a model on TF Serving's REST API. */
export const tfServingScheme: ModelProvider = {
  scheme: 'tfserving',
  create(id, options): Model {
    const { baseURL, modelName, ...ref } = parseTFServingSpec(id);
    const {
      task = 'tensor',
      name,
      format,
      signatureName,
      dtypes,
      outputName,
      labels,
      inputName,
      scoresOutput,
      ...transport
    } = options as TFServingModelOptions;
    const provider = createTFServing({
      ...(transport as Omit<TFServingSettings, 'baseURL'>),
      baseURL,
      ...(name ? { name } : {}),
    });
    const common = { ...ref, ...(format ? { format } : {}), ...(signatureName ? { signatureName } : {}) };
    if (task === 'tensor') {
      return provider.tensor(modelName, {
        ...common,
        ...(dtypes ? { dtypes } : {}),
        ...(outputName ? { outputName } : {}),
      }) as Model;
    }
    if (task === 'classification') {
      return provider.classification(modelName, {
        ...common,
        ...(labels ? { labels } : {}),
        ...(inputName ? { inputName } : {}),
        ...(scoresOutput ? { scoresOutput } : {}),
      }) as Model;
    }
    throw new InvalidInputError(`"tfserving:" models run tensor or classification, not "${String(task)}"`, {
      issues: [{ path: 'options.task', message: 'expected "tensor" or "classification"' }],
    });
  },
};
