/**
 * Reads the few facts onnxruntime does not report from an ONNX model's protobuf: the class labels of an
 * ai.onnx.ml classifier node and the external data files of its initializers. A minimal reader of the
 * wire format (field numbers from onnx/onnx.proto3); weights are skipped by length, never decoded.
 */

const decoder = new TextDecoder();

/** One field of a message: its number and either a varint value or the bytes of a length-delimited one. */
interface Field {
  number: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

function* fields(message: Uint8Array): Generator<Field> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= message.length) throw new RangeError('truncated varint');
      const byte = message[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (offset < message.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        yield { number, varint: varint() };
        break;
      case 1:
        offset += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (offset + length > message.length) throw new RangeError('truncated field');
        yield { number, bytes: message.subarray(offset, offset + length) };
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        throw new RangeError(`unsupported wire type ${key & 7}`);
    }
  }
}

function* messagesOf(message: Uint8Array, number: number): Generator<Uint8Array> {
  for (const field of fields(message)) if (field.number === number && field.bytes) yield field.bytes;
}

function textOf(message: Uint8Array, number: number): string | undefined {
  for (const bytes of messagesOf(message, number)) return decoder.decode(bytes);
  return undefined;
}

/** Repeated int64 values, packed or not. */
function intsOf(message: Uint8Array, number: number): bigint[] {
  const out: bigint[] = [];
  for (const field of fields(message)) {
    if (field.number !== number) continue;
    if (field.varint !== undefined) out.push(BigInt.asIntN(64, field.varint));
    else if (field.bytes) {
      for (const packed of fields(prefixPacked(field.bytes))) out.push(BigInt.asIntN(64, packed.varint!));
    }
  }
  return out;
}

// Packed varints carry no keys; give each a key of field 1, wire type 0, so `fields` can read them.
function prefixPacked(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (i === 0 || bytes[i - 1]! < 0x80) out.push(0x08);
    out.push(bytes[i]!);
  }
  return Uint8Array.from(out);
}

const GRAPH = 7; // ModelProto.graph
const NODE = 1; // GraphProto.node
const INITIALIZER = 5; // GraphProto.initializer
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_INTS = 8;
const ATTRIBUTE_STRINGS = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;

function graphOf(model: Uint8Array): Uint8Array | undefined {
  try {
    for (const graph of messagesOf(model, GRAPH)) return graph;
  } catch {
    // Not a protobuf this reader understands: onnxruntime will say what is wrong with it.
  }
  return undefined;
}

/**
 * The class labels of the model's ai.onnx.ml classifier node (LinearClassifier, TreeEnsembleClassifier,
 * SVMClassifier, ... as skl2onnx writes them), in the order of its scores: `classlabels_strings`, or the
 * integers of `classlabels_ints` / `classlabels_int64s` as text. Undefined when the graph has none.
 */
export function classifierLabels(model: Uint8Array): string[] | undefined {
  const graph = graphOf(model);
  if (!graph) return undefined;
  try {
    for (const node of messagesOf(graph, NODE)) {
      if (textOf(node, NODE_DOMAIN) !== 'ai.onnx.ml' || !textOf(node, NODE_OP_TYPE)?.endsWith('Classifier'))
        continue;
      for (const attribute of messagesOf(node, NODE_ATTRIBUTE)) {
        const name = textOf(attribute, ATTRIBUTE_NAME);
        if (name === 'classlabels_strings') {
          return [...messagesOf(attribute, ATTRIBUTE_STRINGS)].map((bytes) => decoder.decode(bytes));
        }
        if (name === 'classlabels_ints' || name === 'classlabels_int64s') {
          return intsOf(attribute, ATTRIBUTE_INTS).map(String);
        }
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The files the model's initializers keep their data in (`location` of external data), in first-use order. */
export function externalDataFiles(model: Uint8Array): string[] {
  const graph = graphOf(model);
  if (!graph) return [];
  const locations = new Set<string>();
  try {
    for (const tensor of messagesOf(graph, INITIALIZER)) {
      let external = false;
      for (const field of fields(tensor)) {
        if (field.number === TENSOR_DATA_LOCATION && field.varint === 1n) external = true;
      }
      if (!external) continue;
      for (const entry of messagesOf(tensor, TENSOR_EXTERNAL_DATA)) {
        if (textOf(entry, 1) === 'location') {
          const location = textOf(entry, 2);
          if (location) locations.add(location);
        }
      }
    }
  } catch {
    return [...locations];
  }
  return [...locations];
}
