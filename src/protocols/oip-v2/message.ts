/**
 * Whole infer messages, JSON or binary (`binary.ts`), both directions: what the task mappings see is
 * named core tensors, whichever form they travelled in.
 */
import { InvalidInputError, isMlkitError, ResponseValidationError } from '../../errors.ts';
import type { Tensor } from '../../tasks/tensor.ts';
import { parseInput } from '../../validate.ts';
import {
  binaryParts,
  datatypeOf,
  HEADER_LENGTH_HEADER,
  joinBody,
  splitBody,
  tensorFromBytes,
  tensorToBytes,
} from './binary.ts';
import { InferRequest, InferResponse, type WireTensor } from './schemas.ts';
import { decodeTensor, encodeTensor, parseJsonLossless } from './tensors.ts';

/** One tensor with its name, in message order. */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
  parameters?: Record<string, unknown>;
}

/** An infer request with its tensors decoded. */
export interface TensorRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: NamedTensor[];
  /** The outputs to return, in this order; all when omitted. */
  outputs?: string[];
}

/** An infer response with its tensors decoded. */
export interface TensorResponse {
  modelName?: string;
  modelVersion?: string;
  id?: string;
  outputs: NamedTensor[];
}

/** A body to send: bytes plus the headers that say how to read them. */
export interface EncodedBody {
  body: Uint8Array;
  headers: Record<string, string>;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function jsonBody(value: unknown): EncodedBody {
  return { body: utf8.encode(JSON.stringify(value)), headers: { 'content-type': 'application/json' } };
}

function binaryBody(header: unknown, parts: Uint8Array[]): EncodedBody {
  const { body, headerLength } = joinBody(header, parts);
  return {
    body,
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH_HEADER]: String(headerLength) },
  };
}

/** Wire tensors, binary or JSON, from named tensors. */
function wireTensors(tensors: NamedTensor[], binary: (name: string) => boolean) {
  const parts: Uint8Array[] = [];
  const wire = tensors.map(({ name, tensor, parameters }) => {
    if (!binary(name)) {
      const encoded = encodeTensor(name, tensor);
      return parameters ? { ...encoded, parameters } : encoded;
    }
    const bytes = tensorToBytes(tensor);
    parts.push(bytes);
    return {
      name,
      datatype: datatypeOf(tensor),
      shape: [...tensor.shape],
      parameters: { ...parameters, binary_data_size: bytes.byteLength },
    };
  });
  return { wire, parts };
}

/** Named tensors from wire tensors, binary parts taken from `tail` in order. */
function namedTensors(wire: WireTensor[], tail: Uint8Array, path: string): NamedTensor[] {
  const parts = binaryParts(wire, tail, path);
  return wire.map((tensor, index) => {
    const part = parts[index];
    const at = `${path}[${index}]`;
    const decoded =
      part === undefined
        ? decodeTensor(tensor, at)
        : tensorFromBytes(tensor.datatype, tensor.shape, part, `${at}.data`);
    const { binary_data_size: _, ...parameters } = tensor.parameters ?? {};
    return Object.keys(parameters).length > 0
      ? { name: tensor.name, tensor: decoded, parameters }
      : { name: tensor.name, tensor: decoded };
  });
}

function headerJson(header: Uint8Array, path: string): unknown {
  let text: string;
  try {
    text = fromUtf8.decode(header);
  } catch {
    throw new InvalidInputError(`${path} is not valid UTF-8`, { issues: [{ path, message: 'not UTF-8' }] });
  }
  try {
    return parseJsonLossless(text);
  } catch (error) {
    throw new InvalidInputError(`${path} is not valid JSON: ${(error as Error).message}`, {
      issues: [{ path, message: 'not JSON' }],
    });
  }
}

/**
 * Client: an infer request as a body. `binary` sends the inputs in binary and asks for binary
 * outputs (`binary_data_output: true`); otherwise everything is JSON.
 */
export function encodeInferRequest(request: TensorRequest, options: { binary?: boolean } = {}): EncodedBody {
  const binary = options.binary === true;
  const { wire, parts } = wireTensors(request.inputs, () => binary);
  const parameters = binary ? { ...request.parameters, binary_data_output: true } : request.parameters;
  const header = {
    ...(request.id !== undefined && { id: request.id }),
    ...(parameters && { parameters }),
    inputs: wire,
    ...(request.outputs && {
      outputs: request.outputs.map((name) =>
        binary ? { name, parameters: { binary_data: true } } : { name },
      ),
    }),
  };
  return binary ? binaryBody(header, parts) : jsonBody(header);
}

/** What the server reads from a request besides its tensors: which outputs the client wants in binary. */
export interface DecodedInferRequest {
  request: TensorRequest;
  /** True for an output name the client asked to get as binary data. */
  binaryOutput(name: string): boolean;
}

/**
 * Server: a request's JSON header (already parsed, e.g. by `parseJsonLossless`) and the binary data
 * after it (`splitBody`) as named tensors; InvalidInputErrors name `body.<field>`.
 */
export function decodeInferRequest(json: unknown, tail: Uint8Array = new Uint8Array(0)): DecodedInferRequest {
  const parsed = parseInput(InferRequest, json, 'body');
  const inputs = namedTensors(parsed.inputs, tail, 'body.inputs');
  const defaultBinary = parsed.parameters?.binary_data_output === true;
  const perOutput = new Map(
    (parsed.outputs ?? []).map((output) => [output.name, output.parameters?.binary_data]),
  );
  const { binary_data_output: _, ...parameters } = parsed.parameters ?? {};
  return {
    request: {
      ...(parsed.id !== undefined && { id: parsed.id }),
      ...(Object.keys(parameters).length > 0 && { parameters }),
      inputs,
      ...(parsed.outputs && { outputs: parsed.outputs.map((output) => output.name) }),
    },
    binaryOutput: (name) => {
      const wanted = perOutput.get(name);
      return typeof wanted === 'boolean' ? wanted : defaultBinary;
    },
  };
}

/** Server: a response as a body; binary when any output is asked for in binary. */
export function encodeInferResponse(
  response: TensorResponse & { modelName: string },
  binaryOutput: (name: string) => boolean = () => false,
): EncodedBody {
  const { wire, parts } = wireTensors(response.outputs, binaryOutput);
  const header = {
    model_name: response.modelName,
    ...(response.modelVersion !== undefined && { model_version: response.modelVersion }),
    ...(response.id !== undefined && { id: response.id }),
    outputs: wire,
  };
  return parts.length > 0 ? binaryBody(header, parts) : jsonBody(header);
}

/**
 * Client: a response body as named tensors (JSON integers beyond 2^53 read exactly); a
 * ResponseValidationError when the server's answer does not fit the protocol.
 */
export function decodeInferResponse(
  body: Uint8Array,
  headerLength: string | null | undefined,
  provider: string,
): TensorResponse {
  try {
    const { header, tail } = splitBody(body, headerLength, `headers.${HEADER_LENGTH_HEADER}`);
    const parsed = InferResponse.safeParse(headerJson(header, 'response'));
    if (!parsed.success) {
      throw new ResponseValidationError(
        `${provider} sent an infer response that is not OIP v2: ${parsed.error.issues
          .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
          .join('; ')}`,
        { provider, cause: parsed.error },
      );
    }
    const { model_name, model_version, id, outputs } = parsed.data;
    return {
      ...(model_name != null && { modelName: model_name }),
      ...(model_version != null && { modelVersion: model_version }),
      ...(id != null && { id }),
      outputs: namedTensors(outputs, tail, 'response.outputs'),
    };
  } catch (error) {
    if (isMlkitError(error) && error.code === 'invalid_input') {
      throw new ResponseValidationError(
        `${provider} sent an infer response that cannot be read: ${error.message}`,
        {
          provider,
          cause: error,
        },
      );
    }
    throw error;
  }
}
