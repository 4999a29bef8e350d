/**
 * Adds a `logits_to_keep` input to a decoder export that lacks one (Optimum's fp32/fp16 exports and their
 * int8 quantize_dynamic variants), so that a prefill computes the lm_head for the last prompt position only
 * instead of all of them: for a 512-token prompt and a 32k vocabulary that is a third of the prefill's
 * multiply-adds and a [1, 512, 32000] output less. The input has transformers' meaning: keep the last k
 * positions, 0 keeps all.
 *
 * The rewrite slices the lm_head's activation along the sequence axis (Neg, Reshape, Slice before the
 * MatMul; for a dynamically quantized head, before the MatMulInteger, on the activation already quantized
 * with its scale over every position, so the kept rows are exactly the original's) and gives the logits
 * output a fresh sequence dimension; every other byte is copied as it was, weights included (they are
 * never decoded). Isomorphic: it works on the bytes in Node and browsers.
 */

import protobuf from 'protobufjs/minimal.js';
import {
  type Field,
  fields,
  GRAPH,
  INITIALIZER,
  intsOf,
  messagesOf,
  NODE,
  NODE_DOMAIN,
  NODE_OP_TYPE,
  TENSOR_DATA_LOCATION,
  textOf,
} from './onnx-graph.ts';

const { Writer } = protobuf;

/**
 * How a decoder session gets its logits_to_keep: the graph's own input (`native`), one mlkit added
 * (`added`), or none, so a prefill returns every position's logits (`none`).
 */
export type LogitsToKeep = 'native' | 'added' | 'none';

/** The input names decoder exports use for it (older transformers: num_logits_to_keep). */
export const LOGITS_TO_KEEP_INPUTS = ['logits_to_keep', 'num_logits_to_keep'] as const;

const MODEL_OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const VALUE_NAME = 1;
const VALUE_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM_TYPE = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_PARAM = 2;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const INT64 = 7; // TensorProto.DataType.INT64
const LENGTH_DELIMITED = 2;

/** Slice takes starts/ends/axes as inputs from opset 10 on (before, as attributes). */
const MIN_OPSET = 10;
const PREFIX = 'mlkit/logits_to_keep/';
const KEPT_POSITIONS = 'kept_positions';

export interface AddLogitsToKeepOptions {
  /**
   * Only rewrite a graph with a KV cache (`past_key_values.*` inputs): when nothing else says the model is
   * a text-generation decoder, a token classifier or masked LM also has input_ids and 3-d logits.
   */
  kvCacheRequired: boolean;
}

/**
 * The model with a `logits_to_keep` input added, or undefined when it is left alone: it has the input
 * already; its logits do not come from a top-level MatMul / MatMulNBits with 3-d output (through Identity),
 * nor from a MatMulInteger through Cast and a Mul by a scale that holds no positions (merged decoders' If,
 * or any other shape of quantized head, are left alone); it keeps weights in external data; its opset is
 * under 10; or it does not look like a decoder (input_ids, no
 * encoder_hidden_states, and a KV cache when `kvCacheRequired`).
 */
export function addLogitsToKeep(model: Uint8Array, options: AddLogitsToKeepOptions): Uint8Array | undefined {
  try {
    return rewrite(model, options);
  } catch {
    // Not a protobuf this reader understands: onnxruntime will say what is wrong with it.
    return undefined;
  }
}

function rewrite(model: Uint8Array, options: AddLogitsToKeepOptions): Uint8Array | undefined {
  const modelFields = [...fields(model)];
  const graphField = modelFields.filter((field) => field.number === GRAPH && field.bytes);
  if (graphField.length !== 1 || opsetOf(modelFields) < MIN_OPSET) return undefined;
  const graph = graphField[0]!.bytes!;
  const graphFields = [...fields(graph)];
  const bytesOf = (number: number) =>
    graphFields.filter((field) => field.number === number && field.bytes).map((field) => field.bytes!);

  const inputNames = bytesOf(GRAPH_INPUT).map((value) => textOf(value, VALUE_NAME) ?? '');
  if (inputNames.some((name) => (LOGITS_TO_KEEP_INPUTS as readonly string[]).includes(name)))
    return undefined;
  if (!inputNames.includes('input_ids') || inputNames.includes('encoder_hidden_states')) return undefined;
  if (options.kvCacheRequired && !inputNames.some((name) => name.startsWith('past_key_values.')))
    return undefined;

  const initializers = new Set<string>();
  /** Initializers with at most one dimension: broadcast against [batch, positions, vocab], they hold no positions. */
  const small = new Set<string>();
  for (const tensor of bytesOf(INITIALIZER)) {
    if (intsOf(tensor, TENSOR_DATA_LOCATION).some((location) => location === 1n)) return undefined;
    const name = textOf(tensor, TENSOR_NAME) ?? '';
    initializers.add(name);
    if (intsOf(tensor, TENSOR_DIMS).length <= 1) small.add(name);
  }

  const logitsOutput = graphFields.find(
    (field) => field.number === GRAPH_OUTPUT && field.bytes && textOf(field.bytes, VALUE_NAME) === 'logits',
  );
  if (!logitsOutput || dimsOf(logitsOutput.bytes!)?.length !== 3) return undefined;

  const names = new Set([...inputNames, ...initializers]);
  const producers = new Map<string, Field>();
  const consumers = new Map<string, number>();
  for (const field of graphFields) {
    if (field.number !== NODE || !field.bytes) continue;
    for (const bytes of messagesOf(field.bytes, NODE_OUTPUT)) {
      const name = decodeText(bytes);
      names.add(name);
      producers.set(name, field);
    }
    for (const bytes of messagesOf(field.bytes, NODE_INPUT)) {
      const name = decodeText(bytes);
      consumers.set(name, (consumers.get(name) ?? 0) + 1);
    }
  }
  const inputsOf = (node: Field) => [...messagesOf(node.bytes!, NODE_INPUT)].map(decodeText);
  const opOf = (node: Field) => {
    const domain = textOf(node.bytes!, NODE_DOMAIN) ?? '';
    return domain === '' || domain === 'ai.onnx'
      ? textOf(node.bytes!, NODE_OP_TYPE)
      : `${domain}.${textOf(node.bytes!, NODE_OP_TYPE)}`;
  };
  /**
   * Whether a value holds no positions, so that it broadcasts the same against fewer of them: an
   * initializer of rank 0 or 1, a DynamicQuantizeLinear's scale or zero point (scalars), or a Mul of two such.
   */
  const positionFree = (name: string, depth = 0): boolean => {
    if (small.has(name)) return true;
    const node = producers.get(name);
    if (!node || depth > 2) return false;
    const op = opOf(node);
    if (op === 'DynamicQuantizeLinear')
      return [...messagesOf(node.bytes!, NODE_OUTPUT)].map(decodeText).indexOf(name) > 0;
    return op === 'Mul' && inputsOf(node).every((input) => positionFree(input, depth + 1));
  };
  const outputNames = bytesOf(GRAPH_OUTPUT).map((value) => textOf(value, VALUE_NAME) ?? '');
  // The lm_head: the MatMul behind logits, through Identity nodes (the repository's generator writes one),
  // or, for onnxruntime's dynamic quantization, through Mul(Cast(MatMulInteger(...)), scale) with a scale
  // that holds no positions. Everything on the way must feed only the next node, so that slicing changes
  // nothing else.
  let name = 'logits';
  if (consumers.has(name)) return undefined;
  /** The values whose sequence axis the slice shortens: logits and those between it and the lm_head. */
  const shortened = new Set([name]);
  let node = producers.get(name);
  for (;;) {
    if (!node) return undefined;
    const op = opOf(node);
    const inputs = inputsOf(node);
    let next: string | undefined;
    if (op === 'Identity' || op === 'Cast') next = inputs[0];
    else if (op === 'Mul' && inputs.length === 2) {
      const free = inputs.map((input) => positionFree(input));
      if (free[0] !== free[1]) next = free[0] ? inputs[1] : inputs[0];
    }
    if (next === undefined) break;
    name = next;
    if (consumers.get(name) !== 1 || outputNames.includes(name)) return undefined;
    shortened.add(name);
    node = producers.get(name);
  }
  const op = opOf(node);
  const inputs = inputsOf(node);
  // MatMulInteger slices its quantized activation, which keeps the scale computed over every position, so
  // the kept rows are the original graph's exactly; its zero point must then hold no positions either.
  const matMul =
    op === 'MatMul' ||
    op === 'com.microsoft.MatMulNBits' ||
    (op === 'MatMulInteger' && (inputs[2] === undefined || inputs[2] === '' || positionFree(inputs[2])));
  const activation = inputs[0];
  if (!matMul || activation === undefined || initializers.has(activation)) return undefined;
  if ([...names].some((each) => each.startsWith(PREFIX))) return undefined;
  const lmHead = { field: node, activation };

  const negated = `${PREFIX}negated`;
  const starts = `${PREFIX}starts`;
  const sliced = `${PREFIX}sliced`;
  const constants = {
    shape: `${PREFIX}starts_shape`,
    ends: `${PREFIX}ends`,
    axes: `${PREFIX}axes`,
  };
  const graphParts: Uint8Array[] = [];
  for (const field of graphFields) {
    if (field === lmHead.field) {
      graphParts.push(
        nodeField('Neg', ['logits_to_keep'], negated),
        nodeField('Reshape', [negated, constants.shape], starts),
        nodeField('Slice', [lmHead.activation, starts, constants.ends, constants.axes], sliced),
        ...lengthDelimited(NODE, replaceFirst(field.bytes!, NODE_INPUT, stringField(NODE_INPUT, sliced))),
      );
    } else if (field === logitsOutput) {
      graphParts.push(...lengthDelimited(GRAPH_OUTPUT, withKeptPositions(field.bytes!)));
    } else if (
      field.number === GRAPH_VALUE_INFO &&
      field.bytes &&
      shortened.has(textOf(field.bytes, VALUE_NAME) ?? '')
    ) {
      // Shape inference's notes of the old shapes on the way to logits, now wrong: dropped.
    } else {
      graphParts.push(graph.subarray(field.start, field.end));
    }
  }
  graphParts.push(
    scalarInt64InputField('logits_to_keep'),
    int64InitializerField(constants.shape, 1n),
    int64InitializerField(constants.ends, 0x7fffffffffffffffn),
    int64InitializerField(constants.axes, 1n),
  );

  const modelParts: Uint8Array[] = [];
  for (const field of modelFields) {
    if (field === graphField[0]) modelParts.push(...lengthDelimited(GRAPH, graphParts));
    else modelParts.push(model.subarray(field.start, field.end));
  }
  return concat(modelParts);
}

const textDecoder = new TextDecoder();
function decodeText(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** The version of the default (ai.onnx) operator set the model imports; 0 when it imports none. */
function opsetOf(modelFields: Field[]): number {
  for (const field of modelFields) {
    if (field.number !== MODEL_OPSET_IMPORT || !field.bytes) continue;
    const domain = textOf(field.bytes, OPSET_DOMAIN) ?? '';
    if (domain !== '' && domain !== 'ai.onnx') continue;
    return Number(intsOf(field.bytes, OPSET_VERSION)[0] ?? 0n);
  }
  return 0;
}

/** The declared dimensions of a tensor ValueInfoProto (each a Dimension message), undefined without a shape. */
function dimsOf(valueInfo: Uint8Array): Uint8Array[] | undefined {
  for (const type of messagesOf(valueInfo, VALUE_TYPE)) {
    for (const tensor of messagesOf(type, TYPE_TENSOR)) {
      for (const shape of messagesOf(tensor, TENSOR_TYPE_SHAPE)) return [...messagesOf(shape, SHAPE_DIM)];
    }
  }
  return undefined;
}

/** The logits ValueInfoProto with its sequence dimension (the second) renamed: it is now the kept positions. */
function withKeptPositions(valueInfo: Uint8Array): Uint8Array[] {
  return editMessage(valueInfo, VALUE_TYPE, (type) =>
    editMessage(type, TYPE_TENSOR, (tensor) =>
      editMessage(tensor, TENSOR_TYPE_SHAPE, (shape) => {
        const parts: Uint8Array[] = [];
        let index = 0;
        for (const field of fields(shape)) {
          if (field.number === SHAPE_DIM && index++ === 1) {
            parts.push(...lengthDelimited(SHAPE_DIM, [stringField(DIM_PARAM, KEPT_POSITIONS)]));
          } else {
            parts.push(shape.subarray(field.start, field.end));
          }
        }
        return parts;
      }),
    ),
  );
}

/** `message` with each length-delimited field `number` replaced by `edit` of its bytes; the rest as it was. */
function editMessage(
  message: Uint8Array,
  number: number,
  edit: (bytes: Uint8Array) => Uint8Array[],
): Uint8Array[] {
  return [...fields(message)].flatMap((field) =>
    field.number === number && field.bytes
      ? lengthDelimited(number, edit(field.bytes))
      : [message.subarray(field.start, field.end)],
  );
}

/** `message` with the first field `number` replaced by `replacement` (an encoded field). */
function replaceFirst(message: Uint8Array, number: number, replacement: Uint8Array): Uint8Array[] {
  let replaced = false;
  return [...fields(message)].map((field) => {
    if (field.number !== number || replaced) return message.subarray(field.start, field.end);
    replaced = true;
    return replacement;
  });
}

/** The key and length of a length-delimited field, then its parts (copied once, by `concat`). */
function lengthDelimited(number: number, parts: Uint8Array[]): Uint8Array[] {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  return [
    Writer.create()
      .uint32((number << 3) | LENGTH_DELIMITED)
      .uint32(length)
      .finish(),
    ...parts,
  ];
}

function stringField(number: number, text: string): Uint8Array {
  return Writer.create()
    .uint32((number << 3) | LENGTH_DELIMITED)
    .string(text)
    .finish();
}

/** A GraphProto.node field: NodeProto { input, output, name, op_type } in the default domain. */
function nodeField(op: string, inputs: string[], output: string): Uint8Array {
  const node = Writer.create();
  for (const input of inputs) node.uint32((NODE_INPUT << 3) | LENGTH_DELIMITED).string(input);
  node.uint32((NODE_OUTPUT << 3) | LENGTH_DELIMITED).string(output);
  node.uint32((NODE_NAME << 3) | LENGTH_DELIMITED).string(`${PREFIX}${op}`);
  node.uint32((NODE_OP_TYPE << 3) | LENGTH_DELIMITED).string(op);
  return concat(lengthDelimited(NODE, [node.finish()]));
}

/** A GraphProto.input field: ValueInfoProto { name, type: tensor int64 with shape [] (a scalar) }. */
function scalarInt64InputField(name: string): Uint8Array {
  const value = Writer.create()
    .uint32((VALUE_NAME << 3) | LENGTH_DELIMITED)
    .string(name);
  value.uint32((VALUE_TYPE << 3) | LENGTH_DELIMITED).fork();
  value.uint32((TYPE_TENSOR << 3) | LENGTH_DELIMITED).fork();
  value.uint32(TENSOR_TYPE_ELEM_TYPE << 3).int32(INT64);
  value
    .uint32((TENSOR_TYPE_SHAPE << 3) | LENGTH_DELIMITED)
    .fork()
    .ldelim();
  value.ldelim().ldelim();
  return concat(lengthDelimited(GRAPH_INPUT, [value.finish()]));
}

/** A GraphProto.initializer field: TensorProto int64 [1] holding `value` (raw_data, little-endian). */
function int64InitializerField(name: string, value: bigint): Uint8Array {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigInt64(0, value, true);
  const tensor = Writer.create()
    .uint32(TENSOR_DIMS << 3)
    .int64(1)
    .uint32(TENSOR_DATA_TYPE << 3)
    .int32(INT64)
    .uint32((TENSOR_NAME << 3) | LENGTH_DELIMITED)
    .string(name)
    .uint32((TENSOR_RAW_DATA << 3) | LENGTH_DELIMITED)
    .bytes(raw)
    .finish();
  return concat(lengthDelimited(INITIALIZER, [tensor]));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
