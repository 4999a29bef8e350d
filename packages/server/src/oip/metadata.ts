import { type Model, TensorDType } from '@mlkit/core';
import { z } from 'zod';
import type { ModelRunner } from '../runner.ts';
import { DATATYPE_OF, Datatype, type OipDatatype } from './tensors.ts';

/**
 * What a model may tell about its tensors, read from an optional `metadata` property (an ONNX
 * model knows its graph's inputs and outputs). Dims that are not fixed sizes (names, null, -1) are
 * variable. Either `dtype` (core name) or `datatype` (OIP name) says the type.
 */
const TensorSpec = z.object({
  name: z.string(),
  dtype: TensorDType.optional(),
  datatype: Datatype.optional(),
  shape: z.array(z.union([z.number(), z.string(), z.null()])),
});
const ExposedMetadata = z.object({
  inputs: z.array(TensorSpec).optional(),
  outputs: z.array(TensorSpec).optional(),
  platform: z.string().optional(),
});
type TensorSpec = z.infer<typeof TensorSpec>;

/** `$metadata_tensor`: -1 marks a variable dimension. */
export interface TensorMetadata {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

/** The one version each served model has; OIP paths may name it. */
export const MODEL_VERSION = '1';

function exposedMetadata(model: Model): z.infer<typeof ExposedMetadata> | undefined {
  const result = ExposedMetadata.safeParse((model as { metadata?: unknown }).metadata);
  return result.success ? result.data : undefined;
}

function fromSpec(spec: TensorSpec): TensorMetadata | undefined {
  const datatype = spec.datatype ?? (spec.dtype ? DATATYPE_OF[spec.dtype] : undefined);
  if (!datatype) return undefined;
  const shape = spec.shape.map((dim) =>
    typeof dim === 'number' && Number.isInteger(dim) && dim >= 0 ? dim : -1,
  );
  return { name: spec.name, datatype, shape };
}

const specs = (list: TensorSpec[] | undefined) =>
  (list ?? []).map(fromSpec).filter((t): t is TensorMetadata => t !== undefined);

/** Classification's OIP outputs (see `infer.ts`). */
const CLASSIFICATION_OUTPUTS: TensorMetadata[] = [
  { name: 'label', datatype: 'BYTES', shape: [-1] },
  { name: 'score', datatype: 'FP32', shape: [-1] },
  { name: 'probabilities', datatype: 'FP32', shape: [-1, -1] },
];

/**
 * Inputs and outputs as OIP clients see them. Tensor models report their own (when exposed);
 * the other tasks describe the tensors this server maps them to.
 */
function describeTensors(
  task: string,
  exposed: z.infer<typeof ExposedMetadata> | undefined,
): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
  switch (task) {
    case 'classification': {
      const inputs = specs(exposed?.inputs);
      const tabular =
        inputs.length === 1 && inputs[0]!.datatype !== 'BYTES' && !/_ids$/.test(inputs[0]!.name);
      if (tabular) return { inputs, outputs: CLASSIFICATION_OUTPUTS };
      if (inputs.length > 0)
        return {
          inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
          outputs: CLASSIFICATION_OUTPUTS,
        };
      // Unknown whether it reads rows or texts: both are accepted (send one of them).
      return {
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [-1, -1] },
          { name: 'text', datatype: 'BYTES', shape: [-1] },
        ],
        outputs: CLASSIFICATION_OUTPUTS,
      };
    }
    case 'embedding':
      return {
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
        outputs: [{ name: 'embedding', datatype: 'FP32', shape: [-1, -1] }],
      };
    case 'text-generation':
      return {
        inputs: [{ name: 'text_input', datatype: 'BYTES', shape: [1] }],
        outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [1] }],
      };
    default:
      return { inputs: specs(exposed?.inputs), outputs: specs(exposed?.outputs) };
  }
}

/** `$metadata_model_response`. */
export function modelMetadata(runner: ModelRunner) {
  const exposed = exposedMetadata(runner.model);
  const platform = exposed?.platform ?? (runner.model.id.startsWith('onnx:') ? 'onnxruntime_onnx' : 'mlkit');
  return { name: runner.name, versions: [MODEL_VERSION], platform, ...describeTensors(runner.task, exposed) };
}
