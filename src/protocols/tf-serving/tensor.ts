/** The tensor task over TF Serving's predict, row form (`instances`/`predictions`) or columnar (`inputs`/`outputs`). */
import { InvalidInputError } from '../../errors.ts';
import type { Tensor, TensorDType, TensorTask } from '../../tasks/tensor.ts';
import type { TaskMapping } from '../types.ts';
import type { PredictRequest, PredictResponse } from './schemas.ts';
import { fromJsonValue, rowsOf, toJsonValue } from './tensors.ts';

/** What TF Serving's predict needs besides the payload. */
export interface TfServingContext {
  /** 'row' (default): `instances` -> `predictions`; 'columnar': `inputs` -> `outputs`. */
  format?: 'row' | 'columnar';
  /** The signature to call; TF Serving's default signature when omitted. */
  signatureName?: string | undefined;
  /** Element types by tensor name (from the model's metadata); without one, numbers are float32. */
  dtypes?: Readonly<Record<string, TensorDType>> | undefined;
  /** The name of a lone tensor, which TF Serving leaves unnamed on the wire. Default 'output' ('input' for requests). */
  outputName?: string | undefined;
  inputName?: string | undefined;
  /** The provider's name, for errors. */
  provider?: string;
}

/** A JSON object of named tensors, as opposed to a tensor value or a `{b64}` string. */
export function isNamedTensors(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return !(keys.length === 1 && keys[0] === 'b64');
}

/** Row form: named tensors from items along dimension 0 (objects of named values, or bare values for one tensor). */
function fromRows(items: unknown[], loneName: string, context: TfServingContext): Record<string, Tensor> {
  const provider = context.provider;
  if (items.length > 0 && isNamedTensors(items[0])) {
    const out: Record<string, Tensor> = {};
    for (const name of Object.keys(items[0] as object)) {
      const column = items.map((item) => (item as Record<string, unknown>)[name]);
      out[name] = fromJsonValue(name, column, context.dtypes?.[name], provider);
    }
    return out;
  }
  return { [loneName]: fromJsonValue(loneName, items, context.dtypes?.[loneName], provider) };
}

/** Columnar form: an object of named tensors, or one bare tensor. */
function fromColumns(value: unknown, loneName: string, context: TfServingContext): Record<string, Tensor> {
  const provider = context.provider;
  if (!isNamedTensors(value))
    return { [loneName]: fromJsonValue(loneName, value, context.dtypes?.[loneName], provider) };
  const out: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(value)) {
    out[name] = fromJsonValue(name, tensor, context.dtypes?.[name], provider);
  }
  return out;
}

/** Row form of named tensors: bare items for one tensor, objects for several (which must share dimension 0). */
function toRows(tensors: Readonly<Record<string, Tensor>>, path: string): unknown[] {
  const names = Object.keys(tensors);
  if (names.length === 1) return rowsOf(names[0]!, tensors[names[0]!]!);
  const columns = names.map((name) => rowsOf(name, tensors[name]!));
  const count = columns[0]?.length ?? 0;
  const ragged = names.find((_, i) => columns[i]!.length !== count);
  if (ragged !== undefined) {
    throw new InvalidInputError(
      `the row form needs every tensor to share dimension 0 ("${names[0]}" has ${count}, "${ragged}" has ${tensors[ragged]!.shape[0]}); use format: 'columnar'`,
      { issues: [{ path: `${path}.${ragged}.shape`, message: `expected ${count} items along dimension 0` }] },
    );
  }
  return Array.from({ length: count }, (_, i) =>
    Object.fromEntries(names.map((name, j) => [name, columns[j]![i]])),
  );
}

/** Columnar form of named tensors: always an object, so a lone tensor keeps its name. */
function toColumns(tensors: Readonly<Record<string, Tensor>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(tensors).map(([name, tensor]) => [name, toJsonValue(name, tensor)]),
  );
}

const signature = (context: TfServingContext) =>
  context.signatureName === undefined ? {} : { signature_name: context.signatureName };

/** Both directions of the tensor task over TF Serving's predict. */
export const tensorMapping: TaskMapping<TensorTask, PredictRequest, PredictResponse, TfServingContext> = {
  encodeRequest({ inputs }, context) {
    if (context.format === 'columnar') return { ...signature(context), inputs: toColumns(inputs) };
    return { ...signature(context), instances: toRows(inputs, 'input.inputs') };
  },

  decodeRequest(body, context) {
    const name = context.inputName ?? 'input';
    const inputs =
      'instances' in body ? fromRows(body.instances, name, context) : fromColumns(body.inputs, name, context);
    return { inputs };
  },

  encodeResponse({ outputs }, context) {
    const names = Object.keys(outputs);
    const lone = names.length === 1 ? outputs[names[0]!]! : undefined;
    if (context.format === 'columnar') {
      return { outputs: (lone ? toJsonValue(names[0]!, lone) : toColumns(outputs)) as object };
    }
    return { predictions: toRows(outputs, 'output.outputs') };
  },

  decodeResponse(body, context) {
    const name = context.outputName ?? 'output';
    const outputs =
      'predictions' in body
        ? fromRows(body.predictions, name, context)
        : fromColumns(body.outputs, name, context);
    return { outputs, usage: {} };
  },
};
