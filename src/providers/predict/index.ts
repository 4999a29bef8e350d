/**
 * The JSON predict provider: hand-written model APIs (FastAPI, Flask, Express) and `@mlkit/server`'s
 * `/predict/{name}`, with a declared mapping from rows to the request body and from the answer to
 * predictions. The defaults speak `{"data": [...]}` -> `{"prediction", "confidence", "scores"?}`.
 */
import * as z from 'zod';
import { defineModel } from '../../define-model.ts';
import { InvalidInputError, ResponseValidationError } from '../../errors.ts';
import { createTransport } from '../../http/transport.ts';
import type { TransportOptions } from '../../http/types.ts';
import type { Model } from '../../model.ts';
import { classificationMapping, decodePredictions } from '../../protocols/predict/classification.ts';
import { PredictResponse } from '../../protocols/predict/schemas.ts';
import { type ClassificationTask, classification, Prediction } from '../../tasks/classification.ts';
import { mapBounded } from '../map-bounded.ts';
import { positiveInteger } from '../openai-compatible/embeddings.ts';
import { callOptions } from '../openai-compatible/request.ts';

/** The items of one request: feature rows, or texts. */
export type PredictItems = number[][] | string[];

/** The predictions of one answer, one per item sent: a list, `{ predictions }`, or a lone prediction for one item. */
export type PredictAnswer = Prediction | Prediction[] | { predictions: Prediction[] };

/** Settings of `createPredict()`: the endpoint, the declared mapping, and every transport option. */
export interface PredictSettings extends Omit<TransportOptions, 'provider' | 'baseURL' | 'modelId'> {
  /** The endpoint, e.g. 'http://127.0.0.1:8000/predict'. */
  url: string;
  /** Name in errors and events. Default 'predict'. */
  name?: string;
  /** Class names by index, for APIs that answer `"prediction": 2`. */
  labels?: readonly string[];
  /**
   * The request body for the items of one request. Default `{"data": rows}` or `{"text": texts}`;
   * with `batch: false`, the bare item: `{"data": row}` or `{"text": text}`.
   */
  request?: (items: PredictItems) => unknown;
  /**
   * The answer as predictions: a zod schema whose output is predictions, or a function of the body.
   * Default: `{"prediction", "confidence"?, "scores"?}`, each a value or an array.
   */
  response?: z.ZodType<PredictAnswer> | ((body: unknown, items: PredictItems) => PredictAnswer);
  /**
   * `true` (default): one request for all items; `{ maxBatch }`: requests of at most `maxBatch`
   * items; `false`: one request per item (a bare row), for APIs that take a single row.
   */
  batch?: boolean | { maxBatch: number };
  /** Requests in flight at once when a call needs several. Default 4. */
  concurrency?: number;
}

const Answer = z.union([Prediction, z.array(Prediction), z.object({ predictions: z.array(Prediction) })]);

/** The endpoint as the transport's base URL and the path under it. */
export function splitUrl(url: string): { baseURL: string; path: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new InvalidInputError(
      `createPredict needs settings.url, an absolute URL like http://127.0.0.1:8000/predict (got "${url}")`,
      {
        cause,
        issues: [{ path: 'settings.url', message: 'expected an absolute URL' }],
      },
    );
  }
  const slash = parsed.pathname.lastIndexOf('/');
  return {
    baseURL: `${parsed.origin}${parsed.pathname.slice(0, slash)}`,
    path: `${parsed.pathname.slice(slash + 1)}${parsed.search}`,
  };
}

/**
 * A classification Model over a JSON `/predict` endpoint, id `predict:<url>`.
 *
 * @example
 * const iris = createPredict({ url: 'http://127.0.0.1:8000/predict/iris' });
 * const { predictions } = await iris.run({ rows: [[5.1, 3.5, 1.4, 0.2]] });
 * // An API that takes one row `{"features": [...]}` and answers `{"class": 2, "p": 0.9}`:
 * const names = ['setosa', 'versicolor', 'virginica'];
 * createPredict({ url, batch: false, request: ([row]) => ({ features: row }),
 *   response: (body: any) => ({ label: names[body.class], score: body.p, scores: {} }) });
 */
export function createPredict(settings: PredictSettings): Model<ClassificationTask> {
  const {
    url,
    name = 'predict',
    labels,
    request,
    response,
    batch = true,
    concurrency,
    onEvent,
    ...rest
  } = settings;
  const { baseURL, path } = splitUrl(url);
  const id = `predict:${url}`;
  const maxBatch =
    batch === true
      ? Number.POSITIVE_INFINITY
      : batch === false
        ? 1
        : positiveInteger('settings.batch.maxBatch', batch.maxBatch, 1);
  const inFlight = positiveInteger('settings.concurrency', concurrency, 4);
  const transport = createTransport({ ...rest, provider: name, baseURL, modelId: id });
  const context = { labels, provider: name, single: batch === false };

  async function predict(items: PredictItems, options: ReturnType<typeof callOptions>, signal: AbortSignal) {
    const body = request
      ? request(items)
      : classificationMapping.encodeRequest(
          typeof items[0] === 'string' ? { text: items as string[] } : { rows: items as number[][] },
          context,
        );
    const schema = typeof response === 'function' ? z.unknown() : (response ?? PredictResponse);
    const answer = await transport.json({ path, body, schema, ...options, signal });
    let predictions: Prediction[];
    if (response === undefined) {
      predictions = decodePredictions(answer as PredictResponse, items.length, context);
    } else {
      const mapped = Answer.safeParse(typeof response === 'function' ? response(answer, items) : answer);
      if (!mapped.success) {
        throw new ResponseValidationError(
          `${name}'s response mapping returned no predictions: ${mapped.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`,
          { provider: name, cause: mapped.error },
        );
      }
      const data = mapped.data;
      predictions = Array.isArray(data) ? data : 'predictions' in data ? data.predictions : [data];
    }
    if (predictions.length !== items.length) {
      throw new ResponseValidationError(
        `${name} answered ${predictions.length} predictions for ${items.length} items`,
        { provider: name },
      );
    }
    return predictions;
  }

  return defineModel({
    id,
    onEvent,
    task: classification,
    capabilities: {
      streaming: false,
      batching: maxBatch > 1,
      ...(Number.isFinite(maxBatch) ? { maxBatch } : {}),
      local: false,
    },
    async run(input, call) {
      const items: PredictItems =
        'rows' in input ? input.rows : typeof input.text === 'string' ? [input.text] : input.text;
      const requests: PredictItems[] = [];
      for (let start = 0; start < items.length; start += maxBatch) {
        requests.push(items.slice(start, start + maxBatch) as PredictItems);
      }
      const options = callOptions(call);
      const answers = await mapBounded(requests, inFlight, call.signal, (part, signal) =>
        predict(part, options, signal),
      );
      return { predictions: answers.flat(), usage: {} };
    },
  });
}
