/**
 * Image classification over OIP v2 infer. Request: one image tensor (`images.ts`: UINT8
 * [N, H, W, C] pixels or BYTES [N] encoded files) and `parameters.top_k`. Response from this
 * server: `labels` BYTES [N, K] and `scores` FP32 [N, K], each row best first. The client also
 * reads what other servers answer: Triton's classification extension (a BYTES output of
 * `"score:index:label"` strings, `parameters.classification` asked on an output) and a bare
 * FP32 [N, C] scores output with class names from `labels` (the output's `parameters.labels` or the
 * provider's setting), of which it keeps the top K.
 */
import { ResponseValidationError } from '../../errors.ts';
import type { ImageClassificationTask, LabelScore } from '../../tasks/image-classification.ts';
import type { TaskMapping } from '../types.ts';
import type { InferContext } from './context.ts';
import { imagesOf, imageTensor, numberParameter } from './images.ts';
import type { NamedTensor, TensorRequest, TensorResponse } from './message.ts';

const numbersOf = (tensor: NamedTensor['tensor']) =>
  Array.from(tensor.data as ArrayLike<number | bigint>, Number);

/** Triton's classification extension element: `<score>:<index>[:<label>]`. */
const TRITON_CLASS = /^(-?[\d.]+(?:e[-+]?\d+)?|nan|-?inf):(\d+)(?::([\s\S]*))?$/i;

const rowsOf = <T>(values: T[], rows: number): T[][] => {
  const width = rows === 0 ? 0 : values.length / rows;
  return Array.from({ length: rows }, (_, row) => values.slice(row * width, (row + 1) * width));
};

function noPredictions(body: TensorResponse, context: InferContext): ResponseValidationError {
  return new ResponseValidationError(
    `Model "${context.modelName}" answered with outputs ${body.outputs.map((o) => `${o.name} ${o.tensor.dtype} [${o.tensor.shape.join(', ')}]`).join(', ') || '(none)'}; image classification needs labels + scores [N, K], Triton classification strings, or scores [N, C]`,
  );
}

/** Client: per image its labels, best first, from whichever outputs the server answered. */
export function labelScoresOf(body: TensorResponse, context: InferContext, topK: number): LabelScore[][] {
  const byName = new Map(body.outputs.map((output) => [output.name, output.tensor]));
  const labels = byName.get('labels');
  const scores = byName.get('scores');
  const count = (tensor: NamedTensor['tensor']) => (tensor.shape.length >= 2 ? tensor.shape[0]! : 1);
  if (labels?.dtype === 'string' && scores && scores.dtype !== 'string') {
    const values = numbersOf(scores);
    return rowsOf(
      labels.data.map((label, i) => ({ label, score: values[i]! })),
      count(labels),
    ).map((row) => row.filter((entry) => entry.label !== '').slice(0, topK));
  }
  const triton = body.outputs.find(
    ({ tensor }) =>
      tensor.dtype === 'string' && tensor.data.length > 0 && tensor.data.every((s) => TRITON_CLASS.test(s)),
  );
  if (triton && triton.tensor.dtype === 'string') {
    const names = context.labels;
    const entries = triton.tensor.data.map((element) => {
      const [, score, index, label] = TRITON_CLASS.exec(element)!;
      return { label: label || names?.[Number(index)] || index!, score: Number(score) };
    });
    return rowsOf(entries, count(triton.tensor)).map((row) => row.slice(0, topK));
  }
  const scoreOutput = body.outputs.find(
    ({ tensor }) => tensor.shape.length === 2 && tensor.dtype.startsWith('float'),
  );
  if (!scoreOutput) throw noPredictions(body, context);
  const declared = scoreOutput.parameters?.labels;
  const names =
    Array.isArray(declared) && declared.every((label) => typeof label === 'string')
      ? (declared as string[])
      : context.labels;
  const [rows] = scoreOutput.tensor.shape as [number, number];
  return rowsOf(numbersOf(scoreOutput.tensor), rows).map((row) =>
    row
      .map((score, index) => ({ label: names?.[index] ?? String(index), score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK),
  );
}

/** The image-classification task's mapping (both directions). */
export const imageClassificationMapping: TaskMapping<
  ImageClassificationTask,
  TensorRequest,
  TensorResponse,
  InferContext
> = {
  encodeRequest: (input, context) => ({
    inputs: [imageTensor(Array.isArray(input.image) ? input.image : [input.image], context)],
    parameters: { top_k: input.topK },
  }),
  decodeRequest(body) {
    const topK = numberParameter(body, 'top_k');
    return { image: imagesOf(body, 'image-classification models'), ...(topK !== undefined && { topK }) };
  },
  encodeResponse({ predictions }) {
    // Rows have the same width on the wire; a shorter list is padded with '' labels (read back as absent).
    const width = Math.max(0, ...predictions.map((row) => row.length));
    const pad = (row: LabelScore[]) => [
      ...row,
      ...Array.from({ length: width - row.length }, () => ({ label: '', score: 0 })),
    ];
    const padded = predictions.flatMap(pad);
    const shape = [predictions.length, width];
    return {
      outputs: [
        { name: 'labels', tensor: { dtype: 'string', shape, data: padded.map((entry) => entry.label) } },
        {
          name: 'scores',
          tensor: { dtype: 'float32', shape, data: Float32Array.from(padded, (e) => e.score) },
        },
      ],
    };
  },
  decodeResponse: (body, context) => ({
    predictions: labelScoresOf(body, context, Number.POSITIVE_INFINITY),
    usage: {},
  }),
};
