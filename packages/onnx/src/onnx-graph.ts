/**
 * Reads the few facts onnxruntime does not report from an ONNX model's protobuf: the class labels of an
 * ai.onnx.ml classifier node and the external data files of its initializers. The wire format is
 * protobufjs's minimal Reader (field numbers from onnx/onnx.proto3); weights are skipped by length, never
 * decoded. logits-to-keep.ts rewrites graphs with the same reader.
 */

import protobuf, { type Long } from 'protobufjs/minimal.js';

const { Reader } = protobuf;

const decoder = new TextDecoder();

/**
 * One field of a message: its number, wire type, where it lies in the message (key included, so that a
 * rewrite can copy it as it was) and either a varint value or the bytes of a length-delimited one.
 */
export interface Field {
  number: number;
  wireType: number;
  start: number;
  end: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** A varint as protobufjs returns it (a Long where long.js loads, else a number) as an unsigned bigint. */
function unsignedOf(value: Long | number): bigint {
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/** The fields of a message in wire order; length-delimited ones are views into `message`, never copies. */
export function* fields(message: Uint8Array): Generator<Field> {
  const reader = new Reader(message);
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const key = reader.uint32();
    const number = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) {
      const varint = unsignedOf(reader.uint64());
      yield { number, wireType, start, end: reader.pos, varint };
    } else if (wireType === 2) {
      const bytes = reader.bytes();
      yield { number, wireType, start, end: reader.pos, bytes };
    } else {
      reader.skipType(wireType, 0, number);
      yield { number, wireType, start, end: reader.pos };
    }
  }
}

export function* messagesOf(message: Uint8Array, number: number): Generator<Uint8Array> {
  for (const field of fields(message)) if (field.number === number && field.bytes) yield field.bytes;
}

export function textOf(message: Uint8Array, number: number): string | undefined {
  for (const bytes of messagesOf(message, number)) return decoder.decode(bytes);
  return undefined;
}

/** Repeated int64 values, packed or not. */
export function intsOf(message: Uint8Array, number: number): bigint[] {
  const out: bigint[] = [];
  for (const field of fields(message)) {
    if (field.number !== number) continue;
    if (field.varint !== undefined) out.push(BigInt.asIntN(64, field.varint));
    else if (field.bytes) {
      const packed = new Reader(field.bytes);
      while (packed.pos < packed.len) out.push(BigInt.asIntN(64, unsignedOf(packed.uint64())));
    }
  }
  return out;
}

export const GRAPH = 7; // ModelProto.graph
export const NODE = 1; // GraphProto.node
export const INITIALIZER = 5; // GraphProto.initializer
export const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
export const NODE_DOMAIN = 7;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_INTS = 8;
const ATTRIBUTE_STRINGS = 9;
const TENSOR_EXTERNAL_DATA = 13;
export const TENSOR_DATA_LOCATION = 14;

export function graphOf(model: Uint8Array): Uint8Array | undefined {
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

/** An external_data entry's key as protobuf writes it: StringStringEntryProto field 1, 8 bytes, `location`. */
const LOCATION_KEY = Uint8Array.of(0x0a, 0x08, ...new TextEncoder().encode('location'));

/**
 * Whether any tensor of the model may keep its data in a file beside it: its bytes hold the key of an
 * external_data entry. A byte search, not a parse, so that subgraphs (a merged decoder's If branches)
 * count too; a false positive (weights that happen to hold those 10 bytes) only means the model is
 * opened by path.
 */
export function mayUseExternalData(model: Uint8Array): boolean {
  for (let at = model.indexOf(LOCATION_KEY[0]!); at !== -1; at = model.indexOf(LOCATION_KEY[0]!, at + 1)) {
    let i = 1;
    while (i < LOCATION_KEY.length && model[at + i] === LOCATION_KEY[i]) i++;
    if (i === LOCATION_KEY.length) return true;
  }
  return false;
}
