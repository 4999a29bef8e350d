/**
 * TF Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest): predict in row and
 * columnar form for the tensor and classification tasks, model status and metadata, `{b64}`
 * binary strings, and its bare NaN / Infinity tokens. Errors (`{"error": "..."}`) are read by the
 * transport (src/http/errors.ts).
 */
import type { Protocol } from '../types.ts';
import { classificationMapping } from './classification.ts';
import { tensorMapping } from './tensor.ts';

export { classificationMapping, type TfServingClassificationContext } from './classification.ts';
export { parseTfServingJson, stringifyTfServingJson } from './json.ts';
export {
  ColumnarPredictRequest,
  DTYPES,
  ModelMetadataResponse,
  ModelStatusResponse,
  PredictRequest,
  PredictResponse,
  RowPredictRequest,
} from './schemas.ts';
export { isNamedTensors, type TfServingContext, tensorMapping } from './tensor.ts';
export { fromJsonValue, isBinaryName, toJsonValue } from './tensors.ts';

/** TF Serving's predict: the tasks it carries. */
export const tfServingProtocol = {
  name: 'tf-serving',
  tasks: { tensor: tensorMapping, classification: classificationMapping },
} as const satisfies Protocol;
