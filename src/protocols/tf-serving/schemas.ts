/**
 * TF Serving's REST shapes (https://www.tensorflow.org/tfx/serving/api_rest): predict in row form
 * (`instances` -> `predictions`) and columnar form (`inputs` -> `outputs`), model status and
 * model metadata (the JSON of GetModelStatusResponse and GetModelMetadataResponse), and `{error}`.
 */
import * as z from 'zod';
import type { TensorDType } from '../../tasks/tensor.ts';

/** POST `...:predict`, row form: one item per instance (an object of named inputs when there are several). */
export const RowPredictRequest = z.object({
  signature_name: z.string().optional(),
  instances: z.array(z.unknown()),
});
/** POST `...:predict`, columnar form: one value for a single input or an object of named inputs. */
export const ColumnarPredictRequest = z.object({
  signature_name: z.string().optional(),
  inputs: z.unknown(),
});
/** POST `...:predict` in either form. Tensors are values or nested lists; binary strings `{"b64": ...}`. */
export const PredictRequest = z.union([RowPredictRequest, ColumnarPredictRequest]);
export type PredictRequest = z.infer<typeof PredictRequest>;

/** The answer to each form: `predictions` for rows, `outputs` for columns (named only when there are several). */
export const PredictResponse = z.union([
  z.object({ predictions: z.array(z.unknown()) }),
  z.object({ outputs: z.unknown().refine((value) => value !== undefined, 'outputs is missing') }),
]);
export type PredictResponse = z.infer<typeof PredictResponse>;

/** GET `/v1/models/{m}[/versions/{v}|/labels/{l}]`: every version's state. */
export const ModelStatusResponse = z.object({
  model_version_status: z.array(
    z.object({
      version: z.union([z.string(), z.number()]).transform(String),
      state: z.string(),
      status: z
        .object({ error_code: z.string().optional(), error_message: z.string().optional() })
        .optional(),
    }),
  ),
});
export type ModelStatusResponse = z.infer<typeof ModelStatusResponse>;

const TensorInfo = z.object({
  dtype: z.string(),
  name: z.string().optional(),
  tensor_shape: z
    .object({
      // int64 sizes come as strings in proto3 JSON ("-1").
      dim: z.array(z.object({ size: z.union([z.string(), z.number()]).transform(Number) })).optional(),
      unknown_rank: z.boolean().optional(),
    })
    .optional(),
});

/** GET `.../metadata`: the signatures, each with its named, typed inputs and outputs. */
export const ModelMetadataResponse = z.object({
  model_spec: z.object({
    name: z.string(),
    version: z.union([z.string(), z.number()]).transform(String).optional(),
    signature_name: z.string().optional(),
  }),
  metadata: z.object({
    signature_def: z.object({
      signature_def: z.record(
        z.string(),
        z.object({
          inputs: z.record(z.string(), TensorInfo).optional(),
          outputs: z.record(z.string(), TensorInfo).optional(),
          method_name: z.string().optional(),
        }),
      ),
    }),
  }),
});
export type ModelMetadataResponse = z.infer<typeof ModelMetadataResponse>;

/** TensorFlow's dtypes (types.proto) as core's; the ones core has no type for are absent. */
export const DTYPES: Readonly<Record<string, TensorDType>> = {
  DT_FLOAT: 'float32',
  DT_DOUBLE: 'float64',
  DT_HALF: 'float16',
  DT_INT8: 'int8',
  DT_INT16: 'int16',
  DT_INT32: 'int32',
  DT_INT64: 'int64',
  DT_UINT8: 'uint8',
  DT_UINT16: 'uint16',
  DT_UINT32: 'uint32',
  DT_UINT64: 'uint64',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
};
