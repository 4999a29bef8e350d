/**
 * The TF Serving provider: `POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict` for the tensor
 * and classification tasks, in row or columnar form, plus the model status and metadata endpoints.
 */
import type { z } from 'zod';
import { deadline } from '../../abort.ts';
import { type CallContext, defineModel } from '../../define-model.ts';
import { InvalidInputError, ResponseValidationError } from '../../errors.ts';
import { parseJsonResponse } from '../../http/errors.ts';
import { createTransport } from '../../http/transport.ts';
import type { RequestOptions, Transport, TransportOptions } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import { classificationMapping } from '../../protocols/tf-serving/classification.ts';
import { parseTfServingJson, stringifyTfServingJson } from '../../protocols/tf-serving/json.ts';
import {
  DTYPES,
  ModelMetadataResponse,
  ModelStatusResponse,
  PredictResponse,
} from '../../protocols/tf-serving/schemas.ts';
import { type TfServingContext, tensorMapping } from '../../protocols/tf-serving/tensor.ts';
import { type ClassificationTask, classification } from '../../tasks/classification.ts';
import { type TensorDType, type TensorTask, tensor } from '../../tasks/tensor.ts';
import { callOptions } from '../openai-compatible/request.ts';

/** Settings of `createTFServing()`: the server's URL (its REST port, e.g. http://127.0.0.1:8501) and every transport option. */
export interface TFServingSettings extends Omit<TransportOptions, 'provider' | 'modelId'> {
  /** Name in errors, events and model ids. Default 'tfserving'. */
  name?: string;
}

/** Which servable of a model: the latest by default, or one version, or a version label. */
export interface TFServingModelRef {
  /** A version number, e.g. 3 (`/versions/3`). */
  version?: number | string;
  /** A version label, e.g. 'stable' (`/labels/stable`). */
  versionLabel?: string;
}

/** Options of `provider.tensor()` and `provider.classification()`. */
export interface TFServingPredictSettings extends TFServingModelRef {
  /** 'row' (default): `instances` -> `predictions`; 'columnar': `inputs` -> `outputs`. */
  format?: 'row' | 'columnar';
  /** The signature to call; the model's default serving signature when omitted. */
  signatureName?: string;
}

/** Options of `provider.tensor()`. */
export interface TFServingTensorSettings extends TFServingPredictSettings {
  /**
   * Output element types by name, or 'metadata' to read them once from the model's metadata
   * (which also names a lone output). Default: numbers are float32, strings string, booleans bool.
   */
  dtypes?: Readonly<Record<string, TensorDType>> | 'metadata';
  /** The name given to a lone output, which TF Serving leaves unnamed. Default 'output'. */
  outputName?: string;
}

/** Options of `provider.classification()`. */
export interface TFServingClassificationSettings extends TFServingPredictSettings {
  /** Class names by score index; `"0"`, `"1"`, ... when omitted. */
  labels?: readonly string[];
  /** Send each item as `{inputName: item}` (models with a named input); bare items when omitted. */
  inputName?: string;
  /** The output that holds class scores, for models with several outputs. */
  scoresOutput?: string;
}

/** Options of `status()` and `metadata()`. */
export interface TFServingRequestOptions extends TFServingModelRef {
  signal?: AbortSignal;
  /** Deadline for the whole call, retries included, in milliseconds. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  maxRetries?: number;
  /** Events of this request (request, retry, response, error). */
  onEvent?: (event: ModelEvent) => void;
}

/** One version's state, from GET /v1/models/{m}. */
export interface TFServingVersionStatus {
  version: string;
  /** 'START', 'LOADING', 'AVAILABLE', 'UNLOADING' or 'END'. */
  state: string;
  errorCode?: string;
  errorMessage?: string;
}

/** A named tensor of a signature: its dtype (core's name when core has one) and shape (-1 for any size). */
export interface TFServingTensorInfo {
  tfDtype: string;
  dtype: TensorDType | undefined;
  shape: number[] | undefined;
}

/** A model's metadata, from GET /v1/models/{m}/metadata. */
export interface TFServingMetadata {
  modelName: string;
  version: string | undefined;
  signatures: Record<
    string,
    {
      inputs: Record<string, TFServingTensorInfo>;
      outputs: Record<string, TFServingTensorInfo>;
      methodName?: string;
    }
  >;
}

/** Models of one TF Serving server. */
export interface TFServingProvider {
  readonly name: string;
  /** A tensor model over `:predict`, id `name:modelName`. */
  tensor(modelName: string, settings?: TFServingTensorSettings): Model<TensorTask>;
  /** A classification model over `:predict`: rows or texts in, each item's class scores as a prediction. */
  classification(modelName: string, settings?: TFServingClassificationSettings): Model<ClassificationTask>;
  /** Every version's state (or one version's), GET /v1/models/{m}. */
  status(modelName: string, options?: TFServingRequestOptions): Promise<TFServingVersionStatus[]>;
  /** The model's signatures with their typed inputs and outputs, GET /v1/models/{m}/metadata. */
  metadata(modelName: string, options?: TFServingRequestOptions): Promise<TFServingMetadata>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A predict body as TF Serving's JSON, with NaN and infinities as its bare tokens (JSON.stringify
 * would send them as null, which TF Serving rejects for float tensors).
 */
function predictBody(body: unknown, headers: Record<string, string> | undefined) {
  return {
    body: encoder.encode(stringifyTfServingJson(body)),
    headers: { 'content-type': 'application/json', ...headers },
  };
}

/** `transport.json()` for TF Serving, whose float outputs may hold bare NaN / Infinity tokens. */
async function readJson<S extends z.ZodType>(
  transport: Transport,
  request: RequestOptions & { schema: S },
): Promise<z.output<S>> {
  const { schema, ...rest } = request;
  const { status, bytes } = await transport.bytes(rest);
  return parseJsonResponse(decoder.decode(bytes), schema, {
    provider: transport.provider,
    status,
    parse: parseTfServingJson,
  });
}

/** POST a predict body to `path` (`...:predict`) with the call's options; the answer read tolerantly. */
function postPredict(transport: Transport, path: string, body: unknown, call: CallContext) {
  const options = callOptions(call);
  return readJson(transport, {
    path,
    schema: PredictResponse,
    ...options,
    ...predictBody(body, options.headers),
  });
}

/** `v1/models/{m}[/versions/{v}|/labels/{l}]`, checked. */
export function modelPath(modelName: string, ref: TFServingModelRef = {}): string {
  if (typeof modelName !== 'string' || modelName === '') {
    throw new InvalidInputError(`a TF Serving model needs its name (got ${JSON.stringify(modelName)})`, {
      issues: [{ path: 'modelName', message: 'expected a non-empty string' }],
    });
  }
  if (ref.version !== undefined && ref.versionLabel !== undefined) {
    throw new InvalidInputError('give version or versionLabel, not both', {
      issues: [{ path: 'versionLabel', message: 'not allowed together with version' }],
    });
  }
  if (ref.version !== undefined && !/^\d+$/.test(String(ref.version))) {
    throw new InvalidInputError(`version must be a whole number (got ${JSON.stringify(ref.version)})`, {
      issues: [{ path: 'version', message: 'expected a whole number' }],
    });
  }
  const base = `v1/models/${encodeURIComponent(modelName)}`;
  if (ref.version !== undefined) return `${base}/versions/${ref.version}`;
  if (ref.versionLabel !== undefined) return `${base}/labels/${encodeURIComponent(ref.versionLabel)}`;
  return base;
}

function tensorInfo(info: {
  dtype: string;
  tensor_shape?: { dim?: { size: number }[] | undefined; unknown_rank?: boolean | undefined } | undefined;
}): TFServingTensorInfo {
  const shape = info.tensor_shape?.unknown_rank
    ? undefined
    : (info.tensor_shape?.dim ?? []).map((dim) => dim.size);
  return { tfDtype: info.dtype, dtype: DTYPES[info.dtype], shape };
}

/** Run one status or metadata request under the options' signal and total deadline. */
async function withDeadline<T>(
  options: TFServingRequestOptions,
  run: (rest: object, signal: AbortSignal) => Promise<T>,
) {
  const limit = deadline(options.signal, options.timeoutMs, 'total');
  try {
    const {
      signal: _signal,
      timeoutMs: _timeoutMs,
      version: _version,
      versionLabel: _label,
      ...rest
    } = options;
    return await run(rest, limit.signal);
  } finally {
    limit.clear();
  }
}

/**
 * Models of a TF Serving server (its REST port).
 *
 * @example
 * const tfs = createTFServing({ baseURL: 'http://127.0.0.1:8501' });
 * const iris = tfs.classification('iris', { labels: ['setosa', 'versicolor', 'virginica'] });
 * const { predictions } = await iris.run({ rows: [[5.1, 3.5, 1.4, 0.2]] });
 */
export function createTFServing(settings: TFServingSettings): TFServingProvider {
  const { name = 'tfserving', onEvent, ...transportOptions } = settings;
  const transportFor = (modelId?: string): Transport =>
    createTransport({ ...transportOptions, provider: name, ...(modelId ? { modelId } : { onEvent }) });
  let plain: Transport | undefined;
  const idOf = (modelName: string, ref: TFServingModelRef) =>
    `${name}:${modelName}${ref.version !== undefined ? `/versions/${ref.version}` : ref.versionLabel !== undefined ? `/labels/${ref.versionLabel}` : ''}`;

  async function metadata(
    modelName: string,
    options: TFServingRequestOptions = {},
  ): Promise<TFServingMetadata> {
    const path = `${modelPath(modelName, options)}/metadata`;
    plain ??= transportFor();
    const body = await withDeadline(options, (rest, signal) =>
      readJson(plain!, {
        method: 'GET',
        path,
        schema: ModelMetadataResponse,

        ...rest,
        signal,
      }),
    );
    const signatures: TFServingMetadata['signatures'] = {};
    for (const [key, def] of Object.entries(body.metadata.signature_def.signature_def)) {
      const map = (infos: typeof def.inputs) =>
        Object.fromEntries(
          Object.entries(infos ?? {}).map(([tensorName, info]) => [tensorName, tensorInfo(info)]),
        );
      signatures[key] = {
        inputs: map(def.inputs),
        outputs: map(def.outputs),
        ...(def.method_name ? { methodName: def.method_name } : {}),
      };
    }
    return { modelName: body.model_spec.name, version: body.model_spec.version, signatures };
  }

  return {
    name,

    tensor(modelName, modelSettings = {}) {
      const path = `${modelPath(modelName, modelSettings)}:predict`;
      const id = idOf(modelName, modelSettings);
      const transport = transportFor(id);
      const { format = 'row', signatureName, dtypes, outputName, version, versionLabel } = modelSettings;
      const ref: TFServingModelRef = {
        ...(version !== undefined ? { version } : {}),
        ...(versionLabel !== undefined ? { versionLabel } : {}),
      };
      let typing: Promise<Pick<TfServingContext, 'dtypes' | 'outputName'>> | undefined;
      // Read once, on the first call: the signature's output dtypes, and the name of a lone output.
      const typesFor = (signal: AbortSignal) => {
        if (dtypes !== 'metadata') return Promise.resolve({ dtypes, outputName });
        typing ??= metadata(modelName, { ...ref, signal }).then((meta) => {
          const outputs = meta.signatures[signatureName ?? 'serving_default']?.outputs ?? {};
          const names = Object.keys(outputs);
          const types = Object.fromEntries(
            names.flatMap((key) => (outputs[key]!.dtype ? [[key, outputs[key]!.dtype]] : [])),
          ) as Record<string, TensorDType>;
          return { dtypes: types, outputName: outputName ?? (names.length === 1 ? names[0] : undefined) };
        });
        typing.catch(() => {
          typing = undefined; // a failed read is tried again on the next call
        });
        return typing;
      };
      return defineModel({
        id,
        onEvent,
        task: tensor,
        capabilities: { streaming: false, batching: true, local: false },
        async run(input, call) {
          const context: TfServingContext = {
            format,
            signatureName,
            provider: name,
            ...(await typesFor(call.signal)),
          };
          const body = tensorMapping.encodeRequest(input, context);
          const response = await postPredict(transport, path, body, call);
          const { outputs } = tensorMapping.decodeResponse(response, context);
          if (!input.outputs) return { outputs, usage: {} };
          const picked: typeof outputs = {};
          input.outputs.forEach((wanted, i) => {
            if (!(wanted in outputs)) {
              throw new InvalidInputError(
                `output "${wanted}" is not among the model's outputs (${Object.keys(outputs).join(', ')})`,
                { issues: [{ path: `input.outputs[${i}]`, message: 'unknown output name' }] },
              );
            }
            picked[wanted] = outputs[wanted]!;
          });
          return { outputs: picked, usage: {} };
        },
      });
    },

    classification(modelName, modelSettings = {}) {
      const path = `${modelPath(modelName, modelSettings)}:predict`;
      const id = idOf(modelName, modelSettings);
      const transport = transportFor(id);
      const { format = 'row', signatureName, labels, inputName, scoresOutput } = modelSettings;
      const context = { format, signatureName, labels, inputName, scoresOutput, provider: name };
      return defineModel({
        id,
        onEvent,
        task: classification,
        capabilities: { streaming: false, batching: true, local: false },
        async run(input, call) {
          const body = classificationMapping.encodeRequest(input, context);
          const response = await postPredict(transport, path, body, call);
          const output = classificationMapping.decodeResponse(response, context);
          const count =
            'rows' in input ? input.rows.length : Array.isArray(input.text) ? input.text.length : 1;
          if (output.predictions.length !== count) {
            throw new ResponseValidationError(
              `${name} answered ${output.predictions.length} predictions for ${count} items`,
              { provider: name },
            );
          }
          return output;
        },
      });
    },

    async status(modelName, options = {}) {
      const path = modelPath(modelName, options);
      plain ??= transportFor();
      const body = await withDeadline(options, (rest, signal) =>
        readJson(plain!, { method: 'GET', path, schema: ModelStatusResponse, ...rest, signal }),
      );
      return body.model_version_status.map(({ version, state, status }) => {
        const out: TFServingVersionStatus = { version, state };
        if (status?.error_code !== undefined) out.errorCode = status.error_code;
        if (status?.error_message) out.errorMessage = status.error_message;
        return out;
      });
    },

    metadata,
  };
}
