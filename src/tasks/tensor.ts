import * as z from 'zod';
import { withFastParse } from '../validate.ts';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Schema of a tensor element type. */
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
/** A tensor element type: `'float32'`, `'int64'`, `'string'`, ... */
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

/** The typed-array constructor of each numeric dtype (`string` data is a plain `string[]`). */
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

const TensorInputSchema = z.strictObject({
  inputs: z.record(z.string(), Tensor),
  /** Names of the outputs to return; all when omitted. */
  outputs: z.array(z.string()).optional(),
});
/** Schema of a tensor call: named input tensors, and the names of the outputs to return. */
export const TensorInput = withFastParse(TensorInputSchema, parseWellFormedInput);
/** What a tensor call takes: `{ inputs, outputs? }`. */
export type TensorInput = z.input<typeof TensorInput>;

/** A copy of `value` when it is an array of strings (as z.array(z.string()) returns it), else undefined. */
function stringsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item !== 'string') return undefined;
    out.push(item);
  }
  return out;
}

/** `Tensor.parse(value)` for a well-formed tensor, undefined for anything else (zod then reports it). */
function parseWellFormedTensor(value: unknown): Tensor | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { dtype, shape, data } = value as Record<string, unknown>;
  if (!Array.isArray(shape)) return undefined;
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim: unknown = shape[i];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) return undefined;
    dims.push(dim);
    size *= dim;
  }
  let parsed: unknown = data;
  if (dtype === 'string') {
    parsed = stringsOf(data);
    if (parsed === undefined) return undefined;
  } else {
    if (typeof dtype !== 'string' || !Object.hasOwn(TENSOR_ARRAYS, dtype)) return undefined;
    if (!(data instanceof TENSOR_ARRAYS[dtype as keyof typeof TENSOR_ARRAYS])) return undefined;
  }
  if ((data as { length: number }).length !== size) return undefined;
  return { dtype, shape: dims, data: parsed } as Tensor;
}

/**
 * `TensorInput.parse(value)` without zod for well-formed input (the common case, and a few µs per call),
 * undefined for anything else. Mirrors zod 4: a strict object (unknown keys, inherited ones included,
 * go to zod), a record of own enumerable string keys of a plain object, `outputs` kept when present even
 * as undefined; shapes and string data copied, typed arrays passed through.
 */
function parseWellFormedInput(value: unknown): z.output<typeof TensorInputSchema> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const key in value) if (key !== 'inputs' && key !== 'outputs') return undefined;
  const given = (value as { inputs?: unknown }).inputs;
  if (typeof given !== 'object' || given === null) return undefined;
  const proto = Object.getPrototypeOf(given);
  if (proto !== Object.prototype && proto !== null) return undefined;
  if (Object.getOwnPropertySymbols(given).length > 0) return undefined;
  const inputs: Record<string, Tensor> = {};
  for (const name of Object.keys(given)) {
    if (name === '__proto__') return undefined;
    const tensor = parseWellFormedTensor((given as Record<string, unknown>)[name]);
    if (tensor === undefined) return undefined;
    inputs[name] = tensor;
  }
  if (!('outputs' in value)) return { inputs };
  const outputs = (value as { outputs?: unknown }).outputs;
  if (outputs === undefined) return { inputs, outputs: undefined };
  const names = stringsOf(outputs);
  return names === undefined ? undefined : { inputs, outputs: names };
}

/** Schema of a tensor result. */
export const TensorOutput = z.object({ outputs: z.record(z.string(), Tensor), usage: Usage });
/** A tensor result: the output tensors by name, and usage. */
export type TensorOutput = z.infer<typeof TensorOutput>;

/** Named typed tensors in and out: the escape hatch, native to OIP v2 and onnxruntime. */
export const tensor: TensorTask = defineTask({ name: 'tensor', input: TensorInput, output: TensorOutput });
/** The tensor task's type; an interface so that hovers say `Model<TensorTask>`. */
export interface TensorTask extends Task<'tensor', typeof TensorInput, typeof TensorOutput, undefined> {}
