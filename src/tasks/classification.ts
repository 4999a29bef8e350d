import * as z from 'zod';
import { type BatchPlan, characters, shareUsage, sliceEach } from './batch.ts';
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

const textsOf = (text: string | string[]) => (typeof text === 'string' ? [text] : text);
type ParsedInput = z.output<typeof ClassificationInput>;

/** Texts with texts, rows with rows of the same width; one prediction per item. */
const batch: BatchPlan<ParsedInput, ClassificationOutput> = {
  key(input) {
    if ('text' in input) return 'text';
    const width = input.rows[0]!.length;
    return input.rows.every((row) => row.length === width) ? `rows:${width}` : undefined;
  },
  size: (input) => ('text' in input ? textsOf(input.text).length : input.rows.length),
  merge(inputs) {
    if ('text' in inputs[0]!)
      return { text: inputs.flatMap((input) => textsOf((input as { text: string }).text)) };
    return { rows: inputs.flatMap((input) => (input as { rows: number[][] }).rows) };
  },
  split(output, inputs) {
    const counts = inputs.map((input) => batch.size(input));
    const weights = inputs.map((input) =>
      'text' in input ? characters(textsOf(input.text)) : input.rows.length,
    );
    const usages = shareUsage(output.usage, weights);
    return sliceEach(output.predictions, counts, 'predictions').map((predictions, i) => ({
      predictions,
      usage: usages[i]!,
    }));
  },
};

/** Texts or feature rows in, one {label, score, scores} per item out; concurrent calls can share a run. */
export const classification: ClassificationTask = defineTask({
  name: 'classification',
  input: ClassificationInput,
  output: ClassificationOutput,
  batch,
});
/** The classification task's type; an interface so that hovers say `Model<ClassificationTask>`. */
export interface ClassificationTask
  extends Task<'classification', typeof ClassificationInput, typeof ClassificationOutput, undefined> {}
