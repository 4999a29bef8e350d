/** Classification over `/predict`: rows or texts -> `{data}` / `{text}`, `{prediction, confidence, scores}` -> predictions. */
import { ResponseValidationError } from '../../errors.ts';
import type { ClassificationInput, ClassificationTask, Prediction } from '../../tasks/classification.ts';
import type { TaskMapping } from '../types.ts';
import type { PredictRequest, PredictResponse } from './schemas.ts';

/** What the mapping needs besides the body. */
export interface PredictContext {
  /**
   * One item as a bare value (`{"data": [5.1, ...]}`, `{"text": "..."}`) rather than a list of one:
   * the server answers it with values, not arrays; the client sends it to single-row APIs.
   */
  single?: boolean;
  /** Client: class names by index, for APIs that answer `"prediction": 2`. */
  labels?: readonly string[] | undefined;
  /** Client: the provider's name, for errors. */
  provider?: string;
}

/** Whether a request body names one item (a bare row or a bare string) rather than a list. */
export function isSingleItem(body: PredictRequest): boolean {
  const value = 'text' in body ? body.text : body.data;
  return typeof value === 'string' || typeof value[0] === 'number';
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function labelOf(
  predicted: string | number,
  labels: readonly string[] | undefined,
  provider: string,
): string {
  if (typeof predicted === 'string') return predicted;
  if (!labels) return String(predicted);
  const label = labels[predicted];
  if (label === undefined) {
    throw new ResponseValidationError(
      `${provider} predicted class ${predicted}, which has no name in labels (${labels.length} given)`,
      { provider },
    );
  }
  return label;
}

/** The predictions of a `/predict` answer, one per item; `count` is the number of items sent. */
export function decodePredictions(
  body: PredictResponse,
  count: number,
  context: PredictContext = {},
): Prediction[] {
  const provider = context.provider ?? 'predict';
  const classes = asArray(body.prediction);
  const confidences = body.confidence === undefined ? undefined : asArray(body.confidence);
  const scoreMaps = body.scores === undefined ? undefined : asArray(body.scores);
  for (const [name, list] of [
    ['prediction', classes],
    ['confidence', confidences],
    ['scores', scoreMaps],
  ] as const) {
    if (list && list.length !== count) {
      throw new ResponseValidationError(`${provider} sent ${list.length} ${name} values for ${count} items`, {
        provider,
      });
    }
  }
  return classes.map((predicted, i) => {
    const label = labelOf(predicted, context.labels, provider);
    const scores = scoreMaps?.[i] ?? {};
    const score = confidences?.[i] ?? scores[label];
    if (score === undefined) {
      throw new ResponseValidationError(
        `${provider} sent a prediction without a confidence or a score for "${label}"; declare \`response\` to say where the score is`,
        { provider },
      );
    }
    return { label, score, scores: scoreMaps ? scores : { [label]: score } };
  });
}

/** Both directions of classification over `/predict`. */
export const classificationMapping: TaskMapping<
  ClassificationTask,
  PredictRequest,
  PredictResponse,
  PredictContext
> = {
  encodeRequest(input, context) {
    const items = 'rows' in input ? input.rows : Array.isArray(input.text) ? input.text : [input.text];
    const value = context.single && items.length === 1 ? items[0]! : items;
    return 'rows' in input ? { data: value as number[] | number[][] } : { text: value as string | string[] };
  },

  decodeRequest(body): ClassificationInput {
    const value = 'text' in body ? body.text : body.data;
    if (typeof value === 'string') return { text: [value] };
    if (typeof value[0] === 'string') return { text: value as string[] };
    if (typeof value[0] === 'number') return { rows: [value as number[]] };
    return { rows: value as number[][] };
  },

  encodeResponse({ predictions }, context) {
    if (context.single) {
      const [p] = predictions;
      return { prediction: p!.label, confidence: p!.score, scores: p!.scores };
    }
    return {
      prediction: predictions.map((p) => p.label),
      confidence: predictions.map((p) => p.score),
      scores: predictions.map((p) => p.scores),
    };
  },

  decodeResponse(body, context) {
    return { predictions: decodePredictions(body, asArray(body.prediction).length, context), usage: {} };
  },
};
