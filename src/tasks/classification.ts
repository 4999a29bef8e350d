import { z } from 'zod';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Schema of a classification call: `{ text }` (one string or many) or `{ rows }` (feature rows). */
export const ClassificationInput = z.union([
  /** Text classification: sentiment, spam, intent, ... */
  z.strictObject({ text: z.union([z.string(), z.array(z.string()).min(1)]) }),
  /** Tabular classification: one numeric feature row per item (iris, fraud, ...). */
  z.strictObject({ rows: z.array(z.array(z.number()).min(1)).min(1) }),
]);
/** What a classification call takes: `{ text }` or `{ rows }`. */
export type ClassificationInput = z.input<typeof ClassificationInput>;

/** Schema of one item's prediction. */
export const Prediction = z.object({
  label: z.string(),
  /** Probability (or score) of `label`. */
  score: z.number(),
  /** Every label's probability (or score). */
  scores: z.record(z.string(), z.number()),
});
/** One item's prediction: the best `label`, its `score`, and every label's score. */
export type Prediction = z.infer<typeof Prediction>;

/** Schema of a classification result. */
export const ClassificationOutput = z.object({
  /** One prediction per text or row, in input order. */
  predictions: z.array(Prediction),
  usage: Usage,
});
/** A classification result: one prediction per item, in input order, and usage. */
export type ClassificationOutput = z.infer<typeof ClassificationOutput>;

/** Texts or feature rows in, one {label, score, scores} per item out. */
export const classification: ClassificationTask = defineTask({
  name: 'classification',
  input: ClassificationInput,
  output: ClassificationOutput,
});
/** The classification task's type; an interface so that hovers say `Model<ClassificationTask>`. */
export interface ClassificationTask
  extends Task<'classification', typeof ClassificationInput, typeof ClassificationOutput, undefined> {}
