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

/** The buffer that a typed array covers whole, so has alone (a view into a larger one may share it). */
export function soleBuffer(data: unknown): ArrayBuffer | undefined {
  if (!ArrayBuffer.isView(data)) return undefined;
  const { buffer, byteOffset, byteLength } = data;
  return buffer instanceof ArrayBuffer &&
    byteOffset === 0 &&
    byteLength > 0 &&
    byteLength === buffer.byteLength
    ? buffer
    : undefined;
}

/**
 * Frees a CPU tensor's memory now rather than at some later garbage collection: detaches the buffer it has
 * alone (`ArrayBuffer.prototype.transfer`, where the engine has it). The tensor must not be read again, nor
 * be in a run still going. A decode step returns megabytes (logits, the KV cache); left to the collector
 * they made V8 run a full mark-compact every few dozen tokens, and fresh memory each step.
 */
export function discard(tensor: OrtTensor | undefined): void {
  if (!tensor || (tensor.location !== undefined && tensor.location !== 'cpu')) return;
  const buffer = soleBuffer(tensor.data) as { transfer?: (length: number) => ArrayBuffer } | undefined;
  buffer?.transfer?.(0);
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
