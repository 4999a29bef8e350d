/** Models over `POST v2/models/{m}[/versions/{v}]/infer`: a task mapping plus JSON or binary tensors. */
import { type CallContext, defineModel } from '../../define-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import { HEADER_LENGTH_HEADER } from '../../protocols/oip-v2/binary.ts';
import type { InferContext } from '../../protocols/oip-v2/context.ts';
import {
  decodeInferResponse,
  encodeInferRequest,
  type TensorRequest,
  type TensorResponse,
} from '../../protocols/oip-v2/message.ts';
import type { ModelMetadata } from '../../protocols/oip-v2/schemas.ts';
import type { TaskMapping } from '../../protocols/types.ts';
import type { OutputOf, ParsedInputOf, Task } from '../../tasks/task.ts';
import { callOptions } from '../openai-compatible/request.ts';
import { modelPath } from './server.ts';

/** Options every OIP model takes. */
export interface InferModelSettings {
  /** The model version to call (`/versions/{v}`); the server's default when omitted. */
  version?: string;
  /** Send inputs and ask for outputs with the binary tensor extension. Default: the provider's `binary` (false). */
  binary?: boolean;
}

/** What an infer model needs from its provider. */
export interface InferModelContext {
  provider: string;
  transport: Transport;
  onEvent?: ((event: ModelEvent) => void) | undefined;
  /** Whether the mapping needs the model's metadata (to name and type the inputs). */
  needsMetadata: boolean;
  /** The model's metadata, read once per model and version (the provider caches it). */
  metadata(modelName: string, version: string | undefined, context: CallContext): Promise<ModelMetadata>;
  binary: boolean;
}

/** Send one infer request and read its answer (JSON or binary). */
export async function infer(
  transport: Transport,
  path: string,
  request: TensorRequest,
  binary: boolean,
  context: CallContext,
  provider: string,
): Promise<TensorResponse> {
  const { body, headers } = encodeInferRequest(request, { binary });
  const options = callOptions(context);
  const response = await transport.bytes({
    ...options,
    method: 'POST',
    path,
    body,
    headers: { ...headers, ...options.headers },
  });
  return decodeInferResponse(response.bytes, response.headers.get(HEADER_LENGTH_HEADER), provider);
}

/** Steps of a task around its mapping: async input reads (Blobs) before, trimming after. */
export interface InferHooks<T extends Task> {
  prepare?(input: ParsedInputOf<T>): Promise<ParsedInputOf<T>>;
  finish?(output: OutputOf<T>, input: ParsedInputOf<T>): OutputOf<T>;
}

/** A Model of `task` whose calls are OIP infer requests mapped by `mapping`. */
export function createInferModel<T extends Task>(
  task: T,
  mapping: TaskMapping<T, TensorRequest, TensorResponse, InferContext>,
  modelName: string,
  context: InferModelContext,
  settings: InferModelSettings & { labels?: readonly string[] },
  hooks: InferHooks<T> = {},
): Model<T> {
  const { version, labels } = settings;
  const binary = settings.binary ?? context.binary;
  const path = `${modelPath(modelName, version)}/infer`;
  return defineModel({
    id: `${context.provider}:${modelName}${version === undefined ? '' : `/versions/${version}`}`,
    task,
    capabilities: { streaming: false, batching: true, local: false },
    onEvent: context.onEvent,
    async run(given, call) {
      const input = hooks.prepare ? await hooks.prepare(given) : given;
      const wire: InferContext = { modelName, ...(labels && { labels }) };
      if (context.needsMetadata) {
        // Input the mapping refuses (ragged rows, token ids) fails before the metadata request too.
        mapping.encodeRequest(input, wire);
        wire.metadata = await context.metadata(modelName, version, call);
      }
      const request = mapping.encodeRequest(input, wire);
      const response = await infer(context.transport, path, request, binary, call, context.provider);
      const output = mapping.decodeResponse(response, wire);
      return hooks.finish ? hooks.finish(output, input) : output;
    },
  });
}
