/** Embedding over OIP v2 infer: BYTES [N] texts in, `embedding` FP32 [N, D] out. */
import { ResponseValidationError, UnsupportedError } from '../../errors.ts';
import type { EmbeddingTask } from '../../tasks/embedding.ts';
import type { TaskMapping } from '../types.ts';
import { onlyInput, textsOf, textTensor } from './classification.ts';
import type { InferContext } from './context.ts';
import type { TensorRequest, TensorResponse } from './message.ts';

/** The embedding task's mapping (both directions). */
export const embeddingMapping: TaskMapping<EmbeddingTask, TensorRequest, TensorResponse, InferContext> = {
  encodeRequest(input, context) {
    if (!('texts' in input)) {
      throw new UnsupportedError('OIP v2 embedding models take texts (input.texts), not token ids');
    }
    if (input.dimensions !== undefined) {
      throw new UnsupportedError('OIP v2 embedding has no `dimensions` setting; leave input.dimensions out');
    }
    return { inputs: [textTensor(input.texts, context, 'text')] };
  },
  decodeRequest: (body) => ({ texts: textsOf(onlyInput(body, 'embedding models'), 'embedding models') }),
  encodeResponse(output) {
    const data = new Float32Array(output.embeddings.length * output.dimensions);
    output.embeddings.forEach((vector, index) => {
      data.set(vector, index * output.dimensions);
    });
    return {
      outputs: [
        {
          name: 'embedding',
          tensor: { dtype: 'float32', shape: [output.embeddings.length, output.dimensions], data },
        },
      ],
    };
  },
  decodeResponse(body, context) {
    const output =
      body.outputs.find((o) => o.name === 'embedding') ??
      body.outputs.find(({ tensor }) => tensor.dtype.startsWith('float') && tensor.shape.length === 2);
    const tensor = output?.tensor;
    if (
      !tensor ||
      tensor.dtype === 'string' ||
      tensor.shape.length !== 2 ||
      !tensor.dtype.startsWith('float')
    ) {
      throw new ResponseValidationError(
        `Model "${context.modelName}" answered with outputs ${body.outputs.map((o) => o.name).join(', ') || '(none)'}; embedding needs a float output [N, D]`,
      );
    }
    const [count, dimensions] = tensor.shape as [number, number];
    const values = Float32Array.from(tensor.data as ArrayLike<number>);
    const embeddings = Array.from({ length: count }, (_, index) =>
      values.slice(index * dimensions, (index + 1) * dimensions),
    );
    return { embeddings, dimensions, usage: {} };
  },
};
