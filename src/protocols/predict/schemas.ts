/**
 * The JSON shapes of hand-written model APIs (FastAPI, Flask, Express) and of `@mlkit/server`'s
 * `/predict/{name}`: `{"data": [[...], ...]}` in, `{"prediction", "confidence", "scores"?}` out,
 * each a value for one item or an array for many.
 */
import * as z from 'zod';

/** The body `/predict` takes: feature rows or texts, one item or many. */
export const PredictRequest = z.union([
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
export type PredictRequest = z.infer<typeof PredictRequest>;

/** A class as the API names it: a label, or a class index (mapped through `labels`). */
const PredictedClass = z.union([z.string(), z.number().int()]);
const Scores = z.record(z.string(), z.number());

/**
 * What `/predict` answers. `confidence` and `scores` are optional: sklearn-style APIs send only
 * `prediction` and `confidence`; `@mlkit/server` adds every label's score.
 */
export const PredictResponse = z.object({
  prediction: z.union([PredictedClass, z.array(PredictedClass)]),
  confidence: z.union([z.number(), z.array(z.number())]).optional(),
  scores: z.union([Scores, z.array(Scores)]).optional(),
});
export type PredictResponse = z.infer<typeof PredictResponse>;
