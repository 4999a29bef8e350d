/** The `predict:` scheme of `createModel()`. */
import { InvalidInputError } from '../../errors.ts';
import type { Model } from '../../model.ts';
import type { ModelProvider } from '../types.ts';
import { createPredict, type PredictSettings } from './index.ts';
import {
  createPredictImageClassification,
  createPredictObjectDetection,
  type PredictVisionSettings,
} from './vision.ts';

/** Options of `createModel('predict:<url>')`: createPredict()'s settings but the URL. */
export interface PredictModelOptions extends Omit<PredictSettings, 'url'> {
  /** Default 'classification'; the vision tasks speak Hugging Face inference-style JSON. */
  task?: 'classification' | 'image-classification' | 'object-detection';
  /** Vision tasks: `'raw'` image bytes (default) or `'json'` base64 bodies. */
  upload?: PredictVisionSettings['upload'];
}

const TASKS = ['classification', 'image-classification', 'object-detection'];

/** `predict:http://127.0.0.1:8000/predict` — a hand-written JSON `/predict` API (FastAPI, Flask, Express). */
export const predictScheme: ModelProvider = {
  scheme: 'predict',
  create(id, options) {
    const { task = 'classification', upload, ...settings } = options as PredictModelOptions;
    if (!TASKS.includes(task)) {
      throw new InvalidInputError(`"predict:" models run ${TASKS.join(', ')}, not "${task}"`, {
        issues: [{ path: 'options.task', message: `expected one of ${TASKS.join(', ')}` }],
      });
    }
    if (task === 'classification') {
      return createPredict({ ...(settings as Omit<PredictSettings, 'url'>), url: id });
    }
    const { labels: _, request: __, response: ___, batch: ____, ...vision } = settings;
    const make =
      task === 'image-classification' ? createPredictImageClassification : createPredictObjectDetection;
    return make({ ...vision, ...(upload && { upload }), url: id }) as Model;
  },
};
