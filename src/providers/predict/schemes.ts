/** The `predict:` scheme of `createModel()`. */
import { InvalidInputError } from '../../errors.ts';
import type { ModelProvider } from '../types.ts';
import { createPredict, type PredictSettings } from './index.ts';

/** Options of `createModel('predict:<url>')`: createPredict()'s settings but the URL. */
export interface PredictModelOptions extends Omit<PredictSettings, 'url'> {
  task?: 'classification';
}

/** `predict:http://127.0.0.1:8000/predict` — a hand-written JSON `/predict` API (FastAPI, Flask, Express). */
export const predictScheme: ModelProvider = {
  scheme: 'predict',
  create(id, options) {
    const { task = 'classification', ...settings } = options;
    if (task !== 'classification') {
      throw new InvalidInputError(`"predict:" models run classification, not "${task}"`, {
        issues: [{ path: 'options.task', message: 'expected "classification"' }],
      });
    }
    return createPredict({ ...(settings as Omit<PredictSettings, 'url'>), url: id });
  },
};
