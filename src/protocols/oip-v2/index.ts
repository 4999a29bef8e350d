/**
 * Open Inference Protocol v2 (KServe, Triton, Seldon MLServer), both directions: wire schemas,
 * tensors as JSON (`tensors.ts`) and binary (`binary.ts`), whole infer messages (`message.ts`),
 * one mapping per task over infer, the generate extension, model metadata and errors.
 */
import type { Task } from '../../tasks/task.ts';
import type { Protocol, TaskMapping } from '../types.ts';
import { classificationMapping } from './classification.ts';
import type { InferContext } from './context.ts';
import { embeddingMapping } from './embedding.ts';
import { textGenerationMapping } from './generate.ts';
import { imageClassificationMapping } from './image-classification.ts';
import type { TensorRequest, TensorResponse } from './message.ts';
import { objectDetectionMapping } from './object-detection.ts';
import { tensorMapping } from './tensor.ts';
import { invalid } from './tensors.ts';

export { HEADER_LENGTH_HEADER, splitBody } from './binary.ts';
export type { InferContext } from './context.ts';
export { errorBody } from './errors.ts';
export { decodeGenerateEvent, encodeGenerateChunk, generateMapping } from './generate.ts';
export { imageClassificationMapping } from './image-classification.ts';
export { dataUrlBytes, IMAGE_INPUT } from './images.ts';
export {
  decodeInferRequest,
  decodeInferResponse,
  type EncodedBody,
  encodeInferRequest,
  encodeInferResponse,
  type NamedTensor,
  type TensorRequest,
  type TensorResponse,
} from './message.ts';
export { MODEL_VERSION, modelMetadata } from './metadata.ts';
export { objectDetectionMapping } from './object-detection.ts';
export * from './schemas.ts';
export { parseJsonLossless } from './tensors.ts';

/** Any task's mapping over infer, as the server looks one up by the model's task. */
export type InferMapping = TaskMapping<Task, TensorRequest, TensorResponse, InferContext>;

/** The tasks OIP v2 infer carries, one mapping each. */
export const oipV2 = {
  name: 'oip-v2',
  tasks: {
    tensor: tensorMapping,
    classification: classificationMapping,
    embedding: embeddingMapping,
    'text-generation': textGenerationMapping,
    'image-classification': imageClassificationMapping,
    'object-detection': objectDetectionMapping,
  },
} as const satisfies Protocol;

/** Server: the outputs a request names, in its order (all when it names none); 400 for one the model lacks. */
export function selectOutputs(
  response: TensorResponse,
  wanted: readonly string[] | undefined,
  modelName: string,
): TensorResponse {
  if (!wanted) return response;
  return {
    ...response,
    outputs: wanted.map((name, index) => {
      const found = response.outputs.find((output) => output.name === name);
      if (!found) {
        throw invalid(
          `body.outputs[${index}].name`,
          `model "${modelName}" has no output "${name}"; outputs are ${response.outputs.map((o) => o.name).join(', ')}`,
        );
      }
      return found;
    }),
  };
}
