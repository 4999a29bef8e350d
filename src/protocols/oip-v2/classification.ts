/**
 * Classification over OIP v2 infer. Request: FP32 [N, F] feature rows (the model's own input name
 * and numeric type when its metadata says them) or BYTES [N] texts. Response from this server:
 * `label` BYTES [N], `score` FP64 [N] and `probabilities` FP64 [N, C] (doubles: the model's scores exactly) with the column labels in
 * `parameters.labels`. Other servers answer with class indices (MLServer's and KServe's sklearn
 * `predict`, INT64 [N]) and/or probabilities (`predict_proba`, FP64 [N, C]): the client reads those
 * too, naming classes from the model's label output or the `labels` list.
 */
import { ResponseValidationError } from '../../errors.ts';
import type { ClassificationTask, Prediction } from '../../tasks/classification.ts';
import { TENSOR_ARRAYS, type Tensor } from '../../tasks/tensor.ts';
import type { TaskMapping } from '../types.ts';
import type { InferContext } from './context.ts';
import type { NamedTensor, TensorRequest, TensorResponse } from './message.ts';
import { OIP_DATATYPES } from './schemas.ts';
import { invalid } from './tensors.ts';

/** Numeric [N, F] (or one row [F]) as feature rows. */
export function rowsOf(tensor: Tensor, path: string): number[][] {
  if (tensor.dtype === 'string')
    throw invalid(`${path}.datatype`, 'expected a numeric tensor of feature rows');
  const { shape } = tensor;
  if (shape.length < 1 || shape.length > 2 || shape.includes(0)) {
    throw invalid(
      `${path}.shape`,
      `expected [rows, features] or [features] with no zero dims (got [${shape.join(', ')}])`,
    );
  }
  const width = shape.length === 2 ? shape[1]! : shape[0]!;
  const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  const out: number[][] = [];
  for (let offset = 0; offset < values.length; offset += width)
    out.push(values.slice(offset, offset + width));
  return out;
}

/** The single input of a classification or embedding request. */
export function onlyInput(body: TensorRequest, what: string): Tensor {
  if (body.inputs.length !== 1) {
    throw invalid('body.inputs', `${what} take exactly one input tensor (got ${body.inputs.length})`);
  }
  return body.inputs[0]!.tensor;
}

/** The texts of a BYTES tensor. */
export function textsOf(tensor: Tensor, what: string): string[] {
  if (tensor.dtype !== 'string')
    throw invalid('body.inputs[0].datatype', `${what} take a BYTES tensor of texts`);
  return tensor.data;
}

/** Feature rows as the model's input tensor: its metadata's name and numeric type, else `input` FP32. */
function rowsTensor(rows: number[][], context: InferContext): NamedTensor {
  const declared = context.metadata?.inputs?.[0];
  const dtype = declared && declared.datatype !== 'BYTES' ? OIP_DATATYPES[declared.datatype] : 'float32';
  const values = rows.flat();
  const data =
    dtype === 'int64' || dtype === 'uint64'
      ? new TENSOR_ARRAYS[dtype](values.map((value) => BigInt(Math.round(value))))
      : new TENSOR_ARRAYS[dtype](values);
  const width = rows[0]!.length;
  if (rows.some((row) => row.length !== width)) {
    throw invalid('input.rows', `every row needs the same number of features (the first has ${width})`);
  }
  return { name: declared?.name ?? 'input', tensor: { dtype, shape: [rows.length, width], data } as Tensor };
}

function textTensor(texts: string[], context: InferContext, fallbackName: string): NamedTensor {
  const declared = context.metadata?.inputs?.find((input) => input.datatype === 'BYTES');
  return {
    name: declared?.name ?? fallbackName,
    tensor: { dtype: 'string', shape: [texts.length], data: texts },
  };
}

/** Client: texts as the model's BYTES input (its metadata's name, else `fallbackName`). */
export { textTensor };

const numbersOf = (tensor: Tensor) => Array.from(tensor.data as ArrayLike<number | bigint>, Number);

/** Client: which output says the class, which holds probabilities, read from a response. */
function predictionsOf(body: TensorResponse, context: InferContext): Prediction[] {
  const byName = new Map(body.outputs.map((output) => [output.name, output]));
  const probabilities =
    byName.get('probabilities') ??
    byName.get('predict_proba') ??
    body.outputs.find(
      ({ tensor }) => tensor.shape.length === 2 && ['float32', 'float64', 'float16'].includes(tensor.dtype),
    );
  const labelOutput =
    byName.get('label') ??
    byName.get('predict') ??
    body.outputs.find(
      ({ tensor }) =>
        tensor !== probabilities?.tensor &&
        // [N] or [N, 1]: one class per row (MLServer answers [N, 1]).
        (tensor.shape.length <= 1 || (tensor.shape.length === 2 && tensor.shape[1] === 1)) &&
        tensor.dtype !== 'float32' &&
        tensor.dtype !== 'float64',
    );
  if (!probabilities && !labelOutput) {
    throw new ResponseValidationError(
      `Model "${context.modelName}" answered with outputs ${body.outputs.map((o) => o.name).join(', ') || '(none)'}; classification needs a label output (BYTES or class indices) or probabilities [N, C]`,
    );
  }
  const declaredLabels = probabilities?.parameters?.labels;
  const labelNames =
    Array.isArray(declaredLabels) && declaredLabels.every((label) => typeof label === 'string')
      ? (declaredLabels as string[])
      : context.labels;
  const nameOf = (index: number) => labelNames?.[index] ?? String(index);
  const labelAt = (index: number): string | undefined => {
    if (!labelOutput) return undefined;
    const { tensor } = labelOutput;
    if (tensor.dtype === 'string') return tensor.data[index];
    return nameOf(Number(tensor.data[index]));
  };
  const count = labelOutput?.tensor.shape[0] ?? probabilities!.tensor.shape[0]!;
  if (!probabilities) {
    const score = byName.get('score');
    const scores = score ? numbersOf(score.tensor) : undefined;
    return Array.from({ length: count }, (_, index) => {
      const label = labelAt(index)!;
      const value = scores?.[index] ?? 1;
      return { label, score: value, scores: { [label]: value } };
    });
  }
  const classes = probabilities.tensor.shape[1]!;
  const values = numbersOf(probabilities.tensor);
  return Array.from({ length: count }, (_, index) => {
    const row = values.slice(index * classes, (index + 1) * classes);
    const scores: Record<string, number> = {};
    row.forEach((value, column) => {
      scores[nameOf(column)] = value;
    });
    let best = 0;
    row.forEach((value, column) => {
      if (value > row[best]!) best = column;
    });
    const label = labelAt(index) ?? nameOf(best);
    return { label, score: scores[label] ?? row[best]!, scores };
  });
}

/** The classification task's mapping (both directions). */
export const classificationMapping: TaskMapping<
  ClassificationTask,
  TensorRequest,
  TensorResponse,
  InferContext
> = {
  encodeRequest: (input, context) => ({
    inputs: [
      'rows' in input
        ? rowsTensor(input.rows, context)
        : textTensor(typeof input.text === 'string' ? [input.text] : input.text, context, 'text'),
    ],
  }),
  decodeRequest(body) {
    const tensor = onlyInput(body, 'classification models');
    return tensor.dtype === 'string'
      ? { text: textsOf(tensor, 'classification models') }
      : { rows: rowsOf(tensor, 'body.inputs[0]') };
  },
  encodeResponse({ predictions }) {
    const labels = Object.keys(predictions[0]?.scores ?? {});
    const count = predictions.length;
    return {
      outputs: [
        { name: 'label', tensor: { dtype: 'string', shape: [count], data: predictions.map((p) => p.label) } },
        {
          name: 'score',
          tensor: { dtype: 'float64', shape: [count], data: Float64Array.from(predictions, (p) => p.score) },
        },
        {
          name: 'probabilities',
          tensor: {
            dtype: 'float64',
            shape: [count, labels.length],
            data: Float64Array.from(predictions.flatMap((p) => labels.map((label) => p.scores[label] ?? 0))),
          },
          parameters: { labels },
        },
      ],
    };
  },
  decodeResponse: (body, context) => ({ predictions: predictionsOf(body, context), usage: {} }),
};
