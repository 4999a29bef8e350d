/**
 * The binary tensor data extension (Triton, KServe): a body is a JSON header followed by raw tensor
 * bytes, the header's length in `Inference-Header-Content-Length`. A tensor sent this way has
 * `parameters.binary_data_size` instead of `data`; its bytes are little-endian, row-major, and a
 * BYTES element is a 4-byte little-endian length followed by that many bytes.
 * https://github.com/triton-inference-server/server/blob/main/docs/protocol/extension_binary_data.md
 */
import { TENSOR_ARRAYS, type Tensor } from '../../tasks/tensor.ts';
import { DATATYPE_OF, OIP_DATATYPES, type OipDatatype } from './schemas.ts';
import { invalid, sizeOf } from './tensors.ts';

/** The header that carries the JSON part's length in bytes. */
export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * The raw elements of BYTES tensors whose elements are binary (encoded images), by their `data`
 * array: a core BYTES tensor holds strings, which cannot carry arbitrary bytes. A tensor read from
 * the binary extension has its elements here; a tensor listed here is written with these bytes.
 */
export const rawElements = new WeakMap<readonly string[], Uint8Array[]>();

/** Bytes per element of each fixed-size datatype. */
const ELEMENT_BYTES: Record<Exclude<OipDatatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A typed array's bytes, little-endian whatever the machine's order. */
function rawBytes(data: ArrayBufferView & { length: number; BYTES_PER_ELEMENT: number }): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndian || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes);
  const width = data.BYTES_PER_ELEMENT;
  for (let offset = 0; offset < out.length; offset += width) out.subarray(offset, offset + width).reverse();
  return out;
}

/** A tensor's binary form: raw little-endian elements, or length-prefixed BYTES elements. */
export function tensorToBytes(tensor: Tensor): Uint8Array {
  if (tensor.dtype !== 'string') return rawBytes(tensor.data);
  const encoded = rawElements.get(tensor.data) ?? tensor.data.map((text) => utf8.encode(text));
  const out = new Uint8Array(encoded.reduce((total, item) => total + 4 + item.byteLength, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const item of encoded) {
    view.setUint32(offset, item.byteLength, true);
    out.set(item, offset + 4);
    offset += 4 + item.byteLength;
  }
  return out;
}

/** A tensor from its binary form; an InvalidInputError naming `path` when the byte count does not fit the shape. */
export function tensorFromBytes(
  datatype: OipDatatype,
  shape: number[],
  bytes: Uint8Array,
  path: string,
): Tensor {
  const count = sizeOf(shape);
  const dtype = OIP_DATATYPES[datatype];
  if (datatype === 'BYTES') {
    const data: string[] = [];
    const raw: Uint8Array[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (offset + 4 > bytes.byteLength)
        throw invalid(path, `BYTES element ${data.length} has a cut 4-byte length prefix`);
      const length = view.getUint32(offset, true);
      if (offset + 4 + length > bytes.byteLength) {
        throw invalid(path, `BYTES element ${data.length} says ${length} bytes but the data ends before`);
      }
      const element = bytes.subarray(offset + 4, offset + 4 + length);
      raw.push(element);
      data.push(fromUtf8.decode(element));
      offset += 4 + length;
    }
    if (data.length !== count) {
      throw invalid(path, `has ${data.length} BYTES elements but shape [${shape.join(', ')}] needs ${count}`);
    }
    rawElements.set(data, raw);
    return { dtype: 'string', shape, data };
  }
  const width = ELEMENT_BYTES[datatype];
  if (bytes.byteLength !== count * width) {
    throw invalid(
      path,
      `has ${bytes.byteLength} bytes but ${datatype} shape [${shape.join(', ')}] needs ${count * width}`,
    );
  }
  // A copy: aligned for the typed array, and independent of the body it came from.
  const copy = new Uint8Array(bytes);
  if (!littleEndian && width > 1) {
    for (let offset = 0; offset < copy.length; offset += width)
      copy.subarray(offset, offset + width).reverse();
  }
  const TypedArray = TENSOR_ARRAYS[dtype as Exclude<typeof dtype, 'string'>];
  return { dtype, shape, data: new TypedArray(copy.buffer) } as Tensor;
}

/** A JSON header and the binary parts after it, as one body. */
export function joinBody(header: unknown, parts: Uint8Array[]): { body: Uint8Array; headerLength: number } {
  const json = utf8.encode(JSON.stringify(header));
  const body = new Uint8Array(json.byteLength + parts.reduce((total, part) => total + part.byteLength, 0));
  body.set(json, 0);
  let offset = json.byteLength;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return { body, headerLength: json.byteLength };
}

/**
 * Split a body at `headerLength` (the `Inference-Header-Content-Length` value; the whole body is
 * JSON without it). `field` names the header in errors.
 */
export function splitBody(
  body: Uint8Array,
  headerLength: string | null | undefined,
  field: string,
): { header: Uint8Array; tail: Uint8Array } {
  if (headerLength === null || headerLength === undefined) return { header: body, tail: new Uint8Array(0) };
  const length = Number(headerLength);
  if (!/^\d+$/.test(headerLength.trim()) || length > body.byteLength) {
    throw invalid(
      field,
      `must be the JSON header's length in bytes, at most the body's ${body.byteLength} (got "${headerLength.slice(0, 40)}")`,
    );
  }
  return { header: body.subarray(0, length), tail: body.subarray(length) };
}

/**
 * The binary part of each tensor that says `parameters.binary_data_size`, in order, from `tail`;
 * undefined for the tensors sent as JSON. `path` names the tensor list (`body.inputs`).
 */
export function binaryParts(
  tensors: readonly { parameters?: Record<string, unknown> | null }[],
  tail: Uint8Array,
  path: string,
): (Uint8Array | undefined)[] {
  let offset = 0;
  const parts = tensors.map((tensor, index) => {
    const size = tensor.parameters?.binary_data_size;
    if (size === undefined) return undefined;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw invalid(
        `${path}[${index}].parameters.binary_data_size`,
        `expected a byte count (got ${JSON.stringify(size)})`,
      );
    }
    if (offset + size > tail.byteLength) {
      throw invalid(
        `${path}[${index}].parameters.binary_data_size`,
        `says ${size} bytes but only ${tail.byteLength - offset} follow the JSON header`,
      );
    }
    const part = tail.subarray(offset, offset + size);
    offset += size;
    return part;
  });
  if (offset !== tail.byteLength) {
    throw invalid(
      path,
      `the binary data after the JSON header is ${tail.byteLength} bytes, but binary_data_size adds up to ${offset}`,
    );
  }
  return parts;
}

/** The datatype name of a tensor (for headers of binary tensors). */
export const datatypeOf = (tensor: Tensor): OipDatatype => DATATYPE_OF[tensor.dtype];
