/** The tensor task over OIP v2 infer: named tensors in and out, as they are. */
import type { Tensor, TensorTask } from '../../tasks/tensor.ts';
import type { TaskMapping } from '../types.ts';
import type { InferContext } from './context.ts';
import type { TensorRequest, TensorResponse } from './message.ts';
import { invalid } from './tensors.ts';

/** The tensor task's mapping (both directions). */
export const tensorMapping: TaskMapping<TensorTask, TensorRequest, TensorResponse, InferContext> = {
  encodeRequest: (input) => ({
    inputs: Object.entries(input.inputs).map(([name, tensor]) => ({ name, tensor })),
    ...(input.outputs && { outputs: input.outputs }),
  }),
  decodeRequest(body) {
    const inputs: Record<string, Tensor> = {};
    body.inputs.forEach(({ name, tensor }, index) => {
      if (Object.hasOwn(inputs, name))
        throw invalid(`body.inputs[${index}].name`, `"${name}" is given twice`);
      inputs[name] = tensor;
    });
    return { inputs, ...(body.outputs && { outputs: body.outputs }) };
  },
  encodeResponse: (output) => ({
    outputs: Object.entries(output.outputs).map(([name, tensor]) => ({ name, tensor })),
  }),
  decodeResponse: (body) => ({
    outputs: Object.fromEntries(body.outputs.map(({ name, tensor }) => [name, tensor])),
    usage: {},
  }),
};
