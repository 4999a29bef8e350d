/** Classification over TF Serving's predict: rows or texts as instances, each item's class scores as a prediction. */
import { ResponseValidationError } from '../../errors.ts';
import type { ClassificationInput, ClassificationTask, Prediction } from '../../tasks/classification.ts';
import type { TaskMapping } from '../types.ts';
import type { PredictRequest, PredictResponse } from './schemas.ts';
import { isNamedTensors, type TfServingContext } from './tensor.ts';

/** What classification needs besides TF Serving's own context. */
export interface TfServingClassificationContext extends Omit<TfServingContext, 'dtypes'> {
  /** Class names by score index; `"0"`, `"1"`, ... when omitted. */
  labels?: readonly string[] | undefined;
  /** The output holding the class scores when the model has several. Default: the first of probabilities, scores, probs. */
  scoresOutput?: string | undefined;
}

const SCORE_OUTPUTS = ['probabilities', 'scores', 'probs'];

function scoresOf(item: unknown, context: TfServingClassificationContext, index: number): number[] {
  const provider = context.provider ?? 'tfserving';
  let value = item;
  if (isNamedTensors(item)) {
    const name = context.scoresOutput ?? SCORE_OUTPUTS.find((key) => key in item);
    if (name === undefined || !(name in item)) {
      throw new ResponseValidationError(
        `${provider} sent outputs ${Object.keys(item).join(', ')} and none holds class scores; set scoresOutput`,
        { provider },
      );
    }
    value = item[name];
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((score) => typeof score === 'number')) {
    throw new ResponseValidationError(
      `${provider} sent prediction ${index} that is not a list of class scores`,
      {
        provider,
      },
    );
  }
  return value as number[];
}

function toPrediction(scores: number[], labels: readonly string[] | undefined, provider: string): Prediction {
  if (labels && labels.length !== scores.length) {
    throw new ResponseValidationError(
      `${provider} sent ${scores.length} class scores for ${labels.length} labels`,
      {
        provider,
      },
    );
  }
  const named: Record<string, number> = {};
  let best = 0;
  scores.forEach((score, i) => {
    named[labels?.[i] ?? String(i)] = score;
    if (score > scores[best]!) best = i;
  });
  return { label: labels?.[best] ?? String(best), score: scores[best]!, scores: named };
}

/** Per-item values from either form of response (columnar answers carry the items along dimension 0). */
function itemsOf(body: PredictResponse, context: TfServingClassificationContext): unknown[] {
  if ('predictions' in body) return body.predictions;
  const { outputs } = body;
  if (Array.isArray(outputs)) return outputs;
  if (isNamedTensors(outputs)) {
    const name = context.scoresOutput ?? SCORE_OUTPUTS.find((key) => key in outputs);
    if (name !== undefined && Array.isArray(outputs[name])) return outputs[name] as unknown[];
  }
  const provider = context.provider ?? 'tfserving';
  throw new ResponseValidationError(
    `${provider} sent outputs without a list of class scores; set scoresOutput`,
    {
      provider,
    },
  );
}

/** Both directions of classification over TF Serving's predict. */
export const classificationMapping: TaskMapping<
  ClassificationTask,
  PredictRequest,
  PredictResponse,
  TfServingClassificationContext
> = {
  encodeRequest(input, context) {
    const items: unknown[] =
      'rows' in input ? input.rows : Array.isArray(input.text) ? input.text : [input.text];
    const signature = context.signatureName === undefined ? {} : { signature_name: context.signatureName };
    const name = context.inputName;
    if (context.format === 'columnar') return { ...signature, inputs: name ? { [name]: items } : items };
    return { ...signature, instances: name ? items.map((item) => ({ [name]: item })) : items };
  },

  decodeRequest(body, context): ClassificationInput {
    const raw = 'instances' in body ? body.instances : body.inputs;
    const name = context.inputName;
    let items: unknown[];
    if ('instances' in body)
      items = name ? body.instances.map((item) => (item as Record<string, unknown>)[name]) : body.instances;
    else items = (name ? (raw as Record<string, unknown>)[name] : raw) as unknown[];
    return typeof items[0] === 'string' ? { text: items as string[] } : { rows: items as number[][] };
  },

  encodeResponse({ predictions }, context) {
    const scores = predictions.map((p) =>
      (context.labels ?? Object.keys(p.scores)).map((label) => p.scores[label]!),
    );
    const name = context.scoresOutput;
    if (context.format === 'columnar') return { outputs: name ? { [name]: scores } : scores };
    return { predictions: name ? scores.map((item) => ({ [name]: item })) : scores };
  },

  decodeResponse(body, context) {
    const provider = context.provider ?? 'tfserving';
    const predictions = itemsOf(body, context).map((item, i) =>
      toPrediction(scoresOf(item, context, i), context.labels, provider),
    );
    return { predictions, usage: {} };
  },
};
