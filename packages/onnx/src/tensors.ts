import { TENSOR_ARRAYS, type Tensor, type TensorDType, UnsupportedError } from '@mlkit/core';
import type { Ort, OrtTensor } from './ort.ts';

/** An onnxruntime tensor for an mlkit tensor (no copy: the typed array is shared). */
export function toOrtTensor(ort: Ort, tensor: Tensor): OrtTensor {
  return new ort.Tensor(tensor.dtype, tensor.data, tensor.shape);
}

/** An mlkit tensor for an onnxruntime output (no copy, except float16 read as raw bits). */
export function fromOrtTensor(name: string, tensor: OrtTensor): Tensor {
  const dtype = tensor.type as TensorDType;
  const shape = tensor.dims.slice();
  if (dtype === 'string') return { dtype, shape, data: [...(tensor.data as string[])] };
  const ArrayType = TENSOR_ARRAYS[dtype as Exclude<TensorDType, 'string'>];
  if (!ArrayType) {
    throw new UnsupportedError(
      `Output "${name}" has element type ${tensor.type}, which mlkit tensors cannot carry`,
    );
  }
  let data = tensor.data as ArrayBufferView & { length: number };
  if (!(data instanceof ArrayType)) {
    // float16 comes as Float16Array where the JS engine has one; mlkit carries the raw IEEE half bits.
    data = new ArrayType(data.buffer as ArrayBuffer, data.byteOffset, data.length) as never;
  }
  return { dtype, shape, data } as Tensor;
}

/** float16 bits to a number (for logits of fp16 models). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * A float32 view of `length` elements of a float output from `offset` — the same memory for
 * float32, a converted copy of just that slice for float16/float64.
 */
export function floatSlice(tensor: OrtTensor, offset: number, length: number): Float32Array {
  const data = tensor.data;
  if (data instanceof Float32Array) return data.subarray(offset, offset + length);
  const out = new Float32Array(length);
  if (tensor.type === 'float16' && !(typeof Float16Array !== 'undefined' && data instanceof Float16Array)) {
    const bits = data as Uint16Array;
    for (let i = 0; i < length; i++) out[i] = halfToFloat(bits[offset + i]!);
  } else {
    const numbers = data as ArrayLike<number>;
    for (let i = 0; i < length; i++) out[i] = Number(numbers[offset + i]);
  }
  return out;
}
