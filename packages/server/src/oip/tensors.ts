import { InvalidInputError, type Tensor, type TensorDType } from '@mlkit/core';
import { z } from 'zod';
import { fromFloat16Bits, toFloat16Bits } from '../float16.ts';

/** Open Inference Protocol datatypes and the core dtype each becomes. */
export const OIP_DATATYPES = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<string, TensorDType>;
export type OipDatatype = keyof typeof OIP_DATATYPES;

export const DATATYPE_OF = Object.fromEntries(
  Object.entries(OIP_DATATYPES).map(([datatype, dtype]) => [dtype, datatype]),
) as Record<TensorDType, OipDatatype>;

export const Datatype = z.enum(Object.keys(OIP_DATATYPES) as [OipDatatype, ...OipDatatype[]]);

/** `$request_input`: data is row-major, nested or flat. */
export const InferInput = z.looseObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  datatype: Datatype,
  parameters: z.record(z.string(), z.unknown()).optional(),
  data: z.unknown().optional(),
});
export type InferInput = z.infer<typeof InferInput>;

/** `$inference_request`. */
export const InferRequest = z.looseObject({
  id: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  inputs: z.array(InferInput).min(1),
  outputs: z
    .array(
      z.looseObject({ name: z.string().min(1), parameters: z.record(z.string(), z.unknown()).optional() }),
    )
    .optional(),
});
export type InferRequest = z.infer<typeof InferRequest>;

/** `$response_output`: data always flat. */
export interface InferOutput {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  data: unknown[];
  parameters?: Record<string, unknown>;
}

/** A 400 naming the request field at fault, e.g. `body.inputs[0].data[3]`. */
export function invalid(field: string, message: string): InvalidInputError {
  const path = `body.${field}`;
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

// JSON has no NaN or Infinity; some clients (TF Serving's among them) send them as strings.
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
  throw invalid(`${path}[${index}]`, `expected a number for ${datatype} (got ${describe(value)})`);
}

// INT64 beyond 2^53 cannot travel as a JSON number without loss, so decimal strings are accepted too.
function toBigInt(value: unknown, path: string, index: number, dtype: 'int64' | 'uint64'): bigint {
  let result: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) result = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) result = BigInt(value);
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

/** An OIP request tensor as a core Tensor; 400 naming the path when data and shape or datatype disagree. */
export function decodeTensor(input: InferInput, index: number): Tensor {
  const path = `inputs[${index}]`;
  if (input.parameters && 'binary_data_size' in input.parameters) {
    throw invalid(
      `${path}.parameters.binary_data_size`,
      'the binary tensor extension is not supported; send `data` as JSON',
    );
  }
  if (input.data === undefined)
    throw invalid(`${path}.data`, 'required: the tensor values, row-major, nested or flat');
  const values = Array.isArray(input.data)
    ? (input.data.flat(Number.POSITIVE_INFINITY) as unknown[])
    : [input.data];
  const expected = input.shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw invalid(
      `${path}.data`,
      `has ${values.length} elements but shape [${input.shape.join(', ')}] needs ${expected}`,
    );
  }
  const dtype = OIP_DATATYPES[input.datatype];
  return { dtype, shape: input.shape, data: convert(dtype, values, `${path}.data`) } as Tensor;
}

/** A core Tensor as an OIP response tensor; INT64/UINT64 beyond 2^53 become decimal strings. */
export function encodeTensor(name: string, tensor: Tensor): InferOutput {
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
