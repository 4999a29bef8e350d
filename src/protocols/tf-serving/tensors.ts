/** Core tensors <-> TF Serving's nested JSON values, `{"b64": ...}` for binary strings. */
import { InvalidInputError, ResponseValidationError, UnsupportedError } from '../../errors.ts';
import { TENSOR_ARRAYS, type Tensor, type TensorDType } from '../../tasks/tensor.ts';
import { fromBase64, toBase64 } from './base64.ts';

/**
 * TF Serving treats strings of tensors whose name ends in `_bytes` as binary: they travel as
 * `{"b64": ...}` both ways (https://www.tensorflow.org/tfx/serving/api_rest#encoding_binary_values).
 */
export const isBinaryName = (name: string): boolean => name.endsWith('_bytes');

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isB64(value: unknown): value is { b64: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { b64?: unknown }).b64 === 'string' &&
    Object.keys(value).length === 1
  );
}

/** One element as JSON: numbers, booleans, strings, `{b64}` for binary names. */
function jsonElement(tensor: Tensor, index: number, name: string, binary: boolean): unknown {
  const value = tensor.data[index]!;
  if (tensor.dtype === 'string') return binary ? { b64: toBase64(encoder.encode(value as string)) } : value;
  if (tensor.dtype === 'bool') return value !== 0;
  if (typeof value === 'bigint') {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) {
      throw new InvalidInputError(
        `input "${name}" holds ${value}, beyond what TF Serving's JSON numbers carry exactly (±2^53)`,
        { issues: [{ path: `input.inputs.${name}.data[${index}]`, message: 'integer beyond 2^53' }] },
      );
    }
    return number;
  }
  return value;
}

/** `tensor` as nested lists (a bare value for a scalar); `dropFirst` gives its items along dimension 0. */
export function toJsonValue(name: string, tensor: Tensor): unknown {
  if (tensor.dtype === 'float16') {
    throw new UnsupportedError(
      `input "${name}" is float16, which TF Serving's JSON does not carry; send float32`,
    );
  }
  const binary = isBinaryName(name);
  const { shape } = tensor;
  const build = (dim: number, offset: number): unknown => {
    if (dim === shape.length) return jsonElement(tensor, offset, name, binary);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

/** Nested lists as their shape and row-major elements; undefined when they are ragged. */
function flatten(value: unknown): { shape: number[]; elements: unknown[] } | undefined {
  const shape: number[] = [];
  for (let level = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  const elements: unknown[] = [];
  const walk = (item: unknown, dim: number): boolean => {
    if (dim === shape.length) {
      if (Array.isArray(item)) return false;
      elements.push(item);
      return true;
    }
    if (!Array.isArray(item) || item.length !== shape[dim]) return false;
    return item.every((child) => walk(child, dim + 1));
  };
  return walk(value, 0) ? { shape, elements } : undefined;
}

function inferDType(elements: unknown[]): TensorDType {
  const first = elements[0];
  if (typeof first === 'boolean') return 'bool';
  if (typeof first === 'string' || isB64(first)) return 'string';
  return 'float32';
}

/**
 * A JSON tensor as a core Tensor. `dtype` comes from the model's metadata when known; without it
 * numbers are float32, booleans bool, strings (and `{b64}`) string. `{b64}` strings are decoded
 * as UTF-8 text.
 */
export function fromJsonValue(
  name: string,
  value: unknown,
  dtype?: TensorDType,
  provider = 'tfserving',
): Tensor {
  const fail = (why: string) =>
    new ResponseValidationError(`${provider} sent output "${name}" that ${why}`, { provider });
  const flat = flatten(value);
  if (!flat) throw fail('is a ragged list, not a tensor');
  const { shape, elements } = flat;
  const type = dtype ?? inferDType(elements);
  if (type === 'string') {
    const data = elements.map((element) => {
      if (typeof element === 'string') return element;
      if (isB64(element)) {
        try {
          return decoder.decode(fromBase64(element.b64));
        } catch (cause) {
          throw new ResponseValidationError(`${provider} sent output "${name}" with b64 that is not base64`, {
            provider,
            cause,
          });
        }
      }
      throw fail(`mixes strings with ${typeof element} values`);
    });
    return { dtype: 'string', shape, data };
  }
  if (type === 'float16')
    throw new UnsupportedError(
      `output "${name}" is float16, which mlkit reads over TF Serving only as float32`,
    );
  const numbers = elements.map((element) => {
    if (typeof element === 'number') return element;
    if (typeof element === 'boolean') return element ? 1 : 0;
    throw fail(`holds ${JSON.stringify(element)} where a ${type} number belongs`);
  });
  if (type === 'int64' || type === 'uint64') {
    if (!numbers.every(Number.isInteger)) throw fail(`holds non-integers for dtype ${type}`);
    const data =
      type === 'int64' ? BigInt64Array.from(numbers, BigInt) : BigUint64Array.from(numbers, BigInt);
    return { dtype: type, shape, data } as Tensor;
  }
  return { dtype: type, shape, data: TENSOR_ARRAYS[type].from(numbers) } as Tensor;
}

/** Items 0..n-1 of `tensor` along its first dimension, each as a JSON value (row form). */
export function rowsOf(name: string, tensor: Tensor): unknown[] {
  if (tensor.shape.length === 0) {
    throw new InvalidInputError(
      `input "${name}" is a scalar; the row form needs a batch dimension (use format: 'columnar')`,
      {
        issues: [{ path: `input.inputs.${name}.shape`, message: 'expected at least one dimension' }],
      },
    );
  }
  return toJsonValue(name, tensor) as unknown[];
}
