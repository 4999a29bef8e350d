/**
 * Open Inference Protocol v2 wire shapes (KServe "V2 protocol", Triton's HTTP/REST API), each a zod
 * schema with its type inferred. Tensor `data` stays `unknown` here: `tensors.ts` checks it against
 * the datatype and shape, and binary data arrives beside the JSON (`binary.ts`).
 */
import * as z from 'zod';
import type { TensorDType } from '../../tasks/tensor.ts';

/** OIP datatypes and the core dtype each becomes. */
export const OIP_DATATYPES = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<string, TensorDType>;
/** An OIP datatype name: 'FP32', 'INT64', 'BYTES', ... */
export type OipDatatype = keyof typeof OIP_DATATYPES;

/** The OIP datatype of each core dtype. */
export const DATATYPE_OF = Object.fromEntries(
  Object.entries(OIP_DATATYPES).map(([datatype, dtype]) => [dtype, datatype]),
) as Record<TensorDType, OipDatatype>;

/** Schema of an OIP datatype name. */
export const Datatype = z.enum(Object.keys(OIP_DATATYPES) as [OipDatatype, ...OipDatatype[]]);

const Parameters = z.record(z.string(), z.unknown());

/** `$request_input` / `$response_output`: data is row-major, nested or flat, or binary (`parameters.binary_data_size`). */
export const WireTensor = z.looseObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  datatype: Datatype,
  // KServe's model server writes `"parameters": null` on every output it has none for.
  parameters: Parameters.nullish(),
  data: z.unknown().optional(),
});
/** An OIP `WireTensor` as its schema above checks it. */
export type WireTensor = z.infer<typeof WireTensor>;

/** `$request_output`: an output to return; `parameters.binary_data: true` asks for it in binary. */
export const RequestedOutput = z.looseObject({ name: z.string().min(1), parameters: Parameters.optional() });
/** An OIP `RequestedOutput` as its schema above checks it. */
export type RequestedOutput = z.infer<typeof RequestedOutput>;

/** `$inference_request`. */
export const InferRequest = z.looseObject({
  id: z.string().optional(),
  parameters: Parameters.optional(),
  inputs: z.array(WireTensor).min(1),
  outputs: z.array(RequestedOutput).optional(),
});
/** An OIP `InferRequest` as its schema above checks it. */
export type InferRequest = z.infer<typeof InferRequest>;

/** `$inference_response`. */
export const InferResponse = z.looseObject({
  model_name: z.string().nullish(),
  model_version: z.string().nullish(),
  id: z.string().nullish(),
  parameters: Parameters.nullish(),
  outputs: z.array(WireTensor),
});
/** An OIP `InferResponse` as its schema above checks it. */
export type InferResponse = z.infer<typeof InferResponse>;

/** `$metadata_tensor`: -1 marks a variable dimension. */
export const TensorMetadata = z.looseObject({
  name: z.string(),
  datatype: Datatype,
  shape: z.array(z.number().int()),
  parameters: Parameters.optional(),
});
/** An OIP `TensorMetadata` as its schema above checks it. */
export type TensorMetadata = z.infer<typeof TensorMetadata>;

/** `$metadata_model_response`. MLServer may leave inputs/outputs out. */
export const ModelMetadata = z.looseObject({
  name: z.string(),
  versions: z.array(z.string()).nullish(),
  platform: z.string().nullish(),
  inputs: z.array(TensorMetadata).nullish(),
  outputs: z.array(TensorMetadata).nullish(),
});
/** An OIP `ModelMetadata` as its schema above checks it. */
export type ModelMetadata = z.infer<typeof ModelMetadata>;

/** `$metadata_server_response`. */
export const ServerMetadata = z.looseObject({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()).nullish(),
});
/** An OIP `ServerMetadata` as its schema above checks it. */
export type ServerMetadata = z.infer<typeof ServerMetadata>;

/** `$inference_error_response` and every other error: `{"error": "..."}`. */
export const ErrorBody = z.object({ error: z.string() });
/** An OIP `ErrorBody` as its schema above checks it. */
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Generate extension request (`POST /v2/models/{m}/generate` and `/generate_stream`). */
export const GenerateRequest = z.looseObject({
  text_input: z.string(),
  parameters: Parameters.optional(),
});
/** An OIP `GenerateRequest` as its schema above checks it. */
export type GenerateRequest = z.infer<typeof GenerateRequest>;

/** Generate extension response, and each `generate_stream` event (the text so far as a delta). */
export const GenerateResponse = z.looseObject({
  text_output: z.string(),
  model_name: z.string().optional(),
  model_version: z.string().nullish(),
  /** mlkit's own addition: why generation ended, on the last event (Triton's vLLM backend has it as an optional output). */
  finish_reason: z.string().nullish(),
});
/** An OIP `GenerateResponse` as its schema above checks it. */
export type GenerateResponse = z.infer<typeof GenerateResponse>;
