/**
 * Server: `$metadata_model_response` for a served model. Tensor models describe their own tensors
 * (`capabilities.signature`); the other tasks describe the tensors their mapping reads and writes,
 * with a tabular classifier's real input (iris: `float_input` FP32 [-1, 4]).
 */
import type { TensorSignature } from '../../model.ts';
import type { TaskName } from '../../tasks/index.ts';
import type { ServedModel } from '../types.ts';
import { DATATYPE_OF, type ModelMetadata, type TensorMetadata } from './schemas.ts';

/** The one version each model served by `@mlkit/server` has; OIP paths may name it. */
export const MODEL_VERSION = '1';

function fromSignature(spec: TensorSignature): TensorMetadata | undefined {
  if (!spec.dtype) return undefined;
  const shape = (spec.shape ?? [-1]).map((dim) =>
    typeof dim === 'number' && Number.isInteger(dim) && dim >= 0 ? dim : -1,
  );
  return { name: spec.name, datatype: DATATYPE_OF[spec.dtype], shape };
}

const specs = (list: readonly TensorSignature[] | undefined) =>
  (list ?? []).map(fromSignature).filter((t): t is TensorMetadata => t !== undefined);

const CLASSIFICATION_OUTPUTS: TensorMetadata[] = [
  { name: 'label', datatype: 'BYTES', shape: [-1] },
  { name: 'score', datatype: 'FP64', shape: [-1] },
  { name: 'probabilities', datatype: 'FP64', shape: [-1, -1] },
];
const TEXT_INPUT: TensorMetadata = { name: 'text', datatype: 'BYTES', shape: [-1] };

// Encoded files (BYTES [N]) are accepted too; see images.ts.
const IMAGE_PIXELS: TensorMetadata = { name: 'image', datatype: 'UINT8', shape: [-1, -1, -1, -1] };

type Described = { inputs: TensorMetadata[]; outputs: TensorMetadata[] };

/** How each task's tensors look over OIP infer (see the task mappings); a table, one row per task. */
const DESCRIBE: Partial<Record<TaskName, (model: ServedModel) => Described>> = {
  tensor: ({ capabilities }) => ({
    inputs: specs(capabilities.signature?.inputs),
    outputs: specs(capabilities.signature?.outputs),
  }),
  classification: ({ capabilities }) => {
    const inputs = specs(capabilities.signature?.inputs);
    const tabular = inputs.length === 1 && inputs[0]!.datatype !== 'BYTES' && !/_ids$/.test(inputs[0]!.name);
    if (tabular) return { inputs, outputs: CLASSIFICATION_OUTPUTS };
    if (inputs.length > 0) return { inputs: [TEXT_INPUT], outputs: CLASSIFICATION_OUTPUTS };
    // Unknown whether it reads rows or texts: both are accepted (send one of them).
    return {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, -1] }, TEXT_INPUT],
      outputs: CLASSIFICATION_OUTPUTS,
    };
  },
  embedding: () => ({
    inputs: [TEXT_INPUT],
    outputs: [{ name: 'embedding', datatype: 'FP32', shape: [-1, -1] }],
  }),
  'image-classification': () => ({
    inputs: [IMAGE_PIXELS],
    outputs: [
      { name: 'labels', datatype: 'BYTES', shape: [-1, -1] },
      { name: 'scores', datatype: 'FP32', shape: [-1, -1] },
    ],
  }),
  'object-detection': () => ({
    inputs: [IMAGE_PIXELS],
    outputs: [
      { name: 'boxes', datatype: 'FP32', shape: [-1, -1, 4] },
      { name: 'scores', datatype: 'FP32', shape: [-1, -1] },
      { name: 'labels', datatype: 'BYTES', shape: [-1, -1] },
      { name: 'detection_count', datatype: 'INT32', shape: [-1] },
    ],
  }),
  'text-generation': () => ({
    inputs: [{ name: 'text_input', datatype: 'BYTES', shape: [1] }],
    outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [1] }],
  }),
};

/** `$metadata_model_response` of a served model. */
export function modelMetadata(model: ServedModel & { platform?: string }): ModelMetadata {
  const described = DESCRIBE[model.task]?.(model) ?? { inputs: [], outputs: [] };
  return {
    name: model.modelName,
    versions: [MODEL_VERSION],
    platform: model.platform ?? 'mlkit',
    ...described,
  };
}
