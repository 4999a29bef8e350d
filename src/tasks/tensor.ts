import { z } from 'zod';
import { defineTask } from './task.ts';
import { Usage } from './usage.ts';

export const TensorDType = z.enum([
  'float32',
  'float64',
  'float16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
]);
export type TensorDType = z.infer<typeof TensorDType>;

/** The array type that holds each dtype's data. float16 is raw IEEE half bits; bool is 0/1 bytes. */
export interface TensorDataByDType {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  string: string[];
}

export const TENSOR_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
} as const;

const shape = z.array(z.number().int().nonnegative());

function tensorOf<D extends TensorDType>(dtype: D) {
  const data =
    dtype === 'string'
      ? z.array(z.string())
      : z.instanceof(TENSOR_ARRAYS[dtype as Exclude<TensorDType, 'string'>] as unknown as new () => object);
  return z.object({
    dtype: z.literal(dtype),
    shape,
    data: data as unknown as z.ZodType<TensorDataByDType[D]>,
  });
}

/** A named typed tensor: `data` is row-major and holds exactly product(shape) elements. */
export const Tensor = z
  .discriminatedUnion('dtype', [
    tensorOf('float32'),
    tensorOf('float64'),
    tensorOf('float16'),
    tensorOf('int8'),
    tensorOf('int16'),
    tensorOf('int32'),
    tensorOf('int64'),
    tensorOf('uint8'),
    tensorOf('uint16'),
    tensorOf('uint32'),
    tensorOf('uint64'),
    tensorOf('bool'),
    tensorOf('string'),
  ])
  .superRefine((tensor, ctx) => {
    const expected = tensor.shape.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: `has ${tensor.data.length} elements but shape [${tensor.shape.join(', ')}] needs ${expected}`,
      });
    }
  });
export type Tensor = z.infer<typeof Tensor>;

export const TensorInput = z.strictObject({
  inputs: z.record(z.string(), Tensor),
  /** Names of the outputs to return; all when omitted. */
  outputs: z.array(z.string()).optional(),
});
export type TensorInput = z.input<typeof TensorInput>;

export const TensorOutput = z.object({ outputs: z.record(z.string(), Tensor), usage: Usage });
export type TensorOutput = z.infer<typeof TensorOutput>;

/** Named typed tensors in and out: the escape hatch, native to OIP v2 and onnxruntime. */
export const tensor = defineTask({ name: 'tensor', input: TensorInput, output: TensorOutput });
export type TensorTask = typeof tensor;
