import * as z from 'zod/mini';
import { type BatchPlan, shareUsage, sliceEach } from './batch.ts';
import { ImageSource } from './media.ts';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Schema of an image-classification call: one image or many, and how many labels to return for each. */
export const ImageClassificationInput = z.strictObject({
  /** One image or a list of them (URL, encoded bytes, or raw pixels). */
  image: z.union([ImageSource, z.array(ImageSource).check(z.minLength(1))]),
  /** Labels returned per image, best first (5 when omitted, as the Hugging Face pipeline does). */
  topK: z._default(z.int().check(z.positive()), 5),
});
/** What an image-classification call takes: `{ image, topK? }`. */
export type ImageClassificationInput = z.input<typeof ImageClassificationInput>;

/** Schema of one label with its score. */
export const LabelScore = z.object({ label: z.string(), score: z.number() });
/** One label with its score (a probability for softmax models). */
export type LabelScore = z.infer<typeof LabelScore>;

/** Schema of an image-classification result. */
export const ImageClassificationOutput = z.object({
  /** Per image, in input order: its `topK` labels, best first. */
  predictions: z.array(z.array(LabelScore)),
  usage: Usage,
});
/** An image-classification result: per image its top labels, best first, and usage. */
export type ImageClassificationOutput = z.infer<typeof ImageClassificationOutput>;

type ParsedInput = z.output<typeof ImageClassificationInput>;
const imagesOf = (input: ParsedInput) => (Array.isArray(input.image) ? input.image : [input.image]);

/** Images of calls with the same topK share a run; one prediction list per image. */
const batch: BatchPlan<ParsedInput, ImageClassificationOutput> = {
  key: (input) => `topK:${input.topK}`,
  size: (input) => imagesOf(input).length,
  merge: (inputs) => ({ image: inputs.flatMap(imagesOf), topK: inputs[0]!.topK }),
  split(output, inputs) {
    const counts = inputs.map((input) => batch.size(input));
    const usages = shareUsage(output.usage, counts);
    return sliceEach(output.predictions, counts, 'predictions').map((predictions, i) => ({
      predictions,
      usage: usages[i]!,
    }));
  },
};

/** Images in, per image its top-k `{ label, score }` out; concurrent calls can share a run. */
export const imageClassification: ImageClassificationTask = defineTask({
  name: 'image-classification',
  input: ImageClassificationInput,
  output: ImageClassificationOutput,
  batch,
});
/** The image-classification task's type; an interface so that hovers say `Model<ImageClassificationTask>`. */
export interface ImageClassificationTask
  extends Task<
    'image-classification',
    typeof ImageClassificationInput,
    typeof ImageClassificationOutput,
    undefined
  > {}
