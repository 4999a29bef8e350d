import { type ClassificationOutput, predictWire } from '@mlkit/core';
import type { App, ServerContext } from './context.ts';

const mapping = predictWire.predictProtocol.tasks.classification;

/**
 * `POST /predict/{name}` for classification models: `{"data": [[...], ...]}`, `{"data": [...]}`
 * (one row) or `{"text": "..." | [...]}` -> `{"prediction", "confidence", "scores"}`, each a value
 * for one item or an array for many. The wire shapes live in core's `protocols/predict`.
 */
export function predictRoutes(app: App, context: ServerContext): void {
  app.post('/predict/:name', async (c) => {
    const runner = context.runnerFor(c.req.param('name'), ['classification'], '/predict requests');
    c.set('model', runner.name);
    const body = await context.readBody(c, predictWire.PredictRequest);
    const output = await runner.run<ClassificationOutput>(
      mapping.decodeRequest(body, {}),
      c.get('scope').signal,
    );
    return c.json(mapping.encodeResponse(output, { single: predictWire.isSingleItem(body) }));
  });
}
