import * as z from 'zod/mini';
import { type BatchPlan, shareUsage, sliceEach } from './batch.ts';
import { BoundingBox, ImageSource } from './media.ts';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Schema of an object-detection call: one image or many, and the lowest score kept. */
export const ObjectDetectionInput = z.strictObject({
  /** One image or a list of them (URL, encoded bytes, or raw pixels). */
  image: z.union([ImageSource, z.array(ImageSource).check(z.minLength(1))]),
  /** Detections scoring below this are dropped (0.5 when omitted, as the Hugging Face pipeline does). */
  threshold: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
});
/** What an object-detection call takes: `{ image, threshold? }`. */
export type ObjectDetectionInput = z.input<typeof ObjectDetectionInput>;

/** Schema of one detected object. */
export const Detection = z.object({
  label: z.string(),
  score: z.number(),
  /** Where it is, in pixels of the original image. */
  box: BoundingBox,
});
/** One detected object: its label, score and box in pixels of the original image. */
export type Detection = z.infer<typeof Detection>;

/** Schema of an object-detection result. */
export const ObjectDetectionOutput = z.object({
  /** Per image, in input order: the objects scoring at least `threshold`, best first. */
  detections: z.array(z.array(Detection)),
  usage: Usage,
});
/** An object-detection result: per image its detections, best first, and usage. */
export type ObjectDetectionOutput = z.infer<typeof ObjectDetectionOutput>;

type ParsedInput = z.output<typeof ObjectDetectionInput>;
const imagesOf = (input: ParsedInput) => (Array.isArray(input.image) ? input.image : [input.image]);

/** Images of calls with the same threshold share a run; one detection list per image. */
const batch: BatchPlan<ParsedInput, ObjectDetectionOutput> = {
  key: (input) => `threshold:${input.threshold}`,
  size: (input) => imagesOf(input).length,
  merge: (inputs) => ({ image: inputs.flatMap(imagesOf), threshold: inputs[0]!.threshold }),
  split(output, inputs) {
    const counts = inputs.map((input) => batch.size(input));
    const usages = shareUsage(output.usage, counts);
    return sliceEach(output.detections, counts, 'detection lists').map((detections, i) => ({
      detections,
      usage: usages[i]!,
    }));
  },
};

/** Images in, per image `{ label, score, box }` in original pixels out; concurrent calls can share a run. */
export const objectDetection: ObjectDetectionTask = defineTask({
  name: 'object-detection',
  input: ObjectDetectionInput,
  output: ObjectDetectionOutput,
  batch,
});
/** The object-detection task's type; an interface so that hovers say `Model<ObjectDetectionTask>`. */
export interface ObjectDetectionTask
  extends Task<'object-detection', typeof ObjectDetectionInput, typeof ObjectDetectionOutput, undefined> {}
