/** OIP v2 tensors as JSON: `data` (nested or flat, row-major) <-> core Tensors, checked against shape and datatype. */
import { InvalidInputError } from '../../errors.ts';
import type { Tensor, TensorDType } from '../../tasks/tensor.ts';
import { fromFloat16Bits, toFloat16Bits } from './float16.ts';
import { DATATYPE_OF, OIP_DATATYPES, type WireTensor } from './schemas.ts';

/** An InvalidInputError naming the wire field at fault, e.g. `body.inputs[0].data[3]`. */
export function invalid(path: string, message: string): InvalidInputError {
  return new InvalidInputError(`Invalid input — ${path}: ${message}`, { issues: [{ path, message }] });
}

const INTEGER_RANGES = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
} as const;

const BIGINT_RANGES = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const;

const ARRAYS = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;

// JSON has no NaN or Infinity; some clients (TF Serving's among them) send them as strings. An
// integer too large for a double arrives as a decimal string from `parseJsonLossless`.
const SPECIAL_FLOATS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

function describe(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value.slice(0, 40))
    : (JSON.stringify(value) ?? String(value));
}

function toFloat(value: unknown, path: string, index: number, datatype: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value in SPECIAL_FLOATS) return SPECIAL_FLOATS[value]!;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  throw invalid(`${path}[${index}]`, `expected a number for ${datatype} (got ${describe(value)})`);
}

// INT64 beyond 2^53 cannot travel as a JSON number without loss, so decimal strings are accepted too.
function toBigInt(value: unknown, path: string, index: number, dtype: 'int64' | 'uint64'): bigint {
  let result: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) result = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) result = BigInt(value);
  else if (typeof value === 'bigint') result = value;
  const [min, max] = BIGINT_RANGES[dtype];
  if (result === undefined || result < min || result > max) {
    throw invalid(
      `${path}[${index}]`,
      `expected an integer (number or decimal string) in [${min}, ${max}] for ${DATATYPE_OF[dtype]} (got ${describe(value)})`,
    );
  }
  return result;
}

/** Values of one OIP tensor as the typed array its core dtype uses. */
function convert(dtype: TensorDType, values: unknown[], path: string): Tensor['data'] {
  const n = values.length;
  switch (dtype) {
    case 'string':
      values.forEach((value, i) => {
        if (typeof value !== 'string')
          throw invalid(`${path}[${i}]`, `expected a string for BYTES (got ${describe(value)})`);
      });
      return values as string[];
    case 'bool': {
      const out = new Uint8Array(n);
      values.forEach((value, i) => {
        if (typeof value !== 'boolean')
          throw invalid(`${path}[${i}]`, `expected true or false for BOOL (got ${describe(value)})`);
        out[i] = value ? 1 : 0;
      });
      return out;
    }
    case 'float32':
    case 'float64': {
      const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = toFloat(values[i], path, i, DATATYPE_OF[dtype]);
      return out;
    }
    case 'float16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = toFloat16Bits(toFloat(values[i], path, i, 'FP16'));
      return out;
    }
    case 'int64':
    case 'uint64': {
      const out = dtype === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = toBigInt(values[i], path, i, dtype);
      return out;
    }
    default: {
      const [min, max] = INTEGER_RANGES[dtype];
      const out = new ARRAYS[dtype](n);
      for (let i = 0; i < n; i++) {
        const value = values[i];
        if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
          throw invalid(
            `${path}[${i}]`,
            `expected an integer in [${min}, ${max}] for ${DATATYPE_OF[dtype]} (got ${describe(value)})`,
          );
        }
        out[i] = value;
      }
      return out;
    }
  }
}

/** Row-major data, flattened without recursion limits of `Array.prototype.flat` on deep input. */
function flatten(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const stack: { items: unknown[]; index: number }[] = [{ items: data, index: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.index >= top.items.length) {
      stack.pop();
      continue;
    }
    const item = top.items[top.index++];
    if (Array.isArray(item)) stack.push({ items: item, index: 0 });
    else out.push(item);
  }
  return out;
}

/** Elements a shape holds. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A JSON wire tensor (`data` given) as a core Tensor; an InvalidInputError naming `path` (e.g.
 * `body.inputs[0]`) when data and shape or datatype disagree.
 */
export function decodeTensor(wire: WireTensor, path: string): Tensor {
  if (wire.data === undefined)
    throw invalid(`${path}.data`, 'required: the tensor values, row-major, nested or flat');
  const values = flatten(wire.data);
  const expected = sizeOf(wire.shape);
  if (values.length !== expected) {
    throw invalid(
      `${path}.data`,
      `has ${values.length} elements but shape [${wire.shape.join(', ')}] needs ${expected}`,
    );
  }
  const dtype = OIP_DATATYPES[wire.datatype];
  return { dtype, shape: wire.shape, data: convert(dtype, values, `${path}.data`) } as Tensor;
}

/** A core Tensor as a JSON wire tensor; INT64/UINT64 beyond 2^53 become decimal strings. */
export function encodeTensor(name: string, tensor: Tensor): WireTensor & { data: unknown[] } {
  let data: unknown[];
  switch (tensor.dtype) {
    case 'string':
      data = tensor.data;
      break;
    case 'bool':
      data = Array.from(tensor.data, (value) => value !== 0);
      break;
    case 'float16':
      data = Array.from(tensor.data, fromFloat16Bits);
      break;
    case 'int64':
    case 'uint64':
      data = Array.from(tensor.data as ArrayLike<bigint>, (value) => {
        const number = Number(value);
        return Number.isSafeInteger(number) ? number : value.toString();
      });
      break;
    default:
      data = Array.from(tensor.data as ArrayLike<number>);
  }
  return { name, datatype: DATATYPE_OF[tensor.dtype], shape: [...tensor.shape], data };
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/**
 * JSON.parse that keeps integers beyond 2^53 exact, as decimal strings (INT64/UINT64 data reads
 * them as BigInt). Uses the reviver's `context.source` (JSON.parse source text access, Node 22+,
 * Chrome 114+); where a runtime lacks it, such integers are as precise as a double.
 */
export function parseJsonLossless(text: string): unknown {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source !== undefined &&
    /^-?\d+$/.test(context.source)
      ? context.source
      : value;
  return JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
}
