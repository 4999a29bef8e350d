/**
 * Object detection over Hugging Face inference-style endpoints: `{"inputs", "parameters":
 * {"threshold"}}` (or the raw image) in, `[{"label", "score", "box": {"xmin", "ymin", "xmax",
 * "ymax"}}]` out, boxes in pixels of the image; a list of those for several images.
 */
import * as z from 'zod';
import type { BoundingBox } from '../../tasks/media.ts';
import type { Detection, ObjectDetectionTask } from '../../tasks/object-detection.ts';
import type { TaskMapping } from '../types.ts';
import {
  type ImagePredictContext,
  type ImageRequest,
  imagesOfRequest,
  imageText,
  numberParameter,
} from './images.ts';

const Detections = z.array(
  z.object({
    label: z.string(),
    score: z.number(),
    box: z.object({ xmin: z.number(), ymin: z.number(), xmax: z.number(), ymax: z.number() }),
  }),
);

/** What an object-detection endpoint answers: one image's detections, or a list per image. */
export const ObjectDetectionResponse = z.union([Detections, z.array(Detections)]);
export type ObjectDetectionResponse = z.infer<typeof ObjectDetectionResponse>;

const boxOf = (box: BoundingBox): BoundingBox => ({
  xmin: box.xmin,
  ymin: box.ymin,
  xmax: box.xmax,
  ymax: box.ymax,
});

/** Both directions of object detection over a JSON predict endpoint. */
export const objectDetectionMapping: TaskMapping<
  ObjectDetectionTask,
  ImageRequest,
  ObjectDetectionResponse,
  ImagePredictContext
> = {
  encodeRequest(input) {
    const images = Array.isArray(input.image) ? input.image : [input.image];
    const texts = images.map(imageText);
    return {
      inputs: Array.isArray(input.image) ? texts : texts[0]!,
      parameters: { threshold: input.threshold },
    };
  },
  decodeRequest(body) {
    const threshold = numberParameter(body, 'threshold');
    return { image: imagesOfRequest(body), ...(threshold !== undefined && { threshold }) };
  },
  encodeResponse: ({ detections }, context) => (context.single ? detections[0]! : detections),
  decodeResponse(body) {
    const lists = body.length > 0 && Array.isArray(body[0]) ? (body as Detection[][]) : [body as Detection[]];
    return {
      detections: lists.map((list) =>
        list.map((d) => ({ label: d.label, score: d.score, box: boxOf(d.box) })),
      ),
      usage: {},
    };
  },
};
