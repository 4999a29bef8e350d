import type { ClassificationOutput } from '@mlkit/core';
import { z } from 'zod';
import type { App, ServerContext } from './context.ts';

/** The body most hand-written model APIs take: feature rows or texts, one item or many. */
const PredictRequest = z.union([
  z.strictObject({
    data: z.union([
      z.array(z.number()).min(1),
      z.array(z.array(z.number()).min(1)).min(1),
      z.string(),
      z.array(z.string()).min(1),
    ]),
  }),
  z.strictObject({ text: z.union([z.string(), z.array(z.string()).min(1)]) }),
]);
type PredictRequest = z.infer<typeof PredictRequest>;

function toClassificationInput(body: PredictRequest): {
  input: { text: string[] } | { rows: number[][] };
  single: boolean;
} {
  const value = 'text' in body ? body.text : body.data;
  if (typeof value === 'string') return { input: { text: [value] }, single: true };
  if (typeof value[0] === 'string') return { input: { text: value as string[] }, single: false };
  if (typeof value[0] === 'number') return { input: { rows: [value as number[]] }, single: true };
  return { input: { rows: value as number[][] }, single: false };
}

/**
 * `POST /predict/{name}` for classification models: `{"data": [[...], ...]}`, `{"data": [...]}`
 * (one row) or `{"text": "..." | [...]}` -> `{"prediction", "confidence", "scores"}`, each a value
 * for one item or an array for many.
 */
export function predictRoutes(app: App, context: ServerContext): void {
  app.post('/predict/:name', async (c) => {
    const runner = context.runnerFor(c.req.param('name'), ['classification'], '/predict requests');
    c.set('model', runner.name);
    const body = await context.readBody(c, PredictRequest);
    const { input, single } = toClassificationInput(body);
    const { predictions } = await runner.run<ClassificationOutput>(input, c.get('scope').signal);
    if (single) {
      const [p] = predictions;
      return c.json({ prediction: p!.label, confidence: p!.score, scores: p!.scores });
    }
    return c.json({
      prediction: predictions.map((p) => p.label),
      confidence: predictions.map((p) => p.score),
      scores: predictions.map((p) => p.scores),
    });
  });
}
