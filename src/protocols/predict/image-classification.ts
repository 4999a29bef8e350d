/**
 * Image classification over Hugging Face inference-style endpoints: `{"inputs", "parameters":
 * {"top_k"}}` (or the raw image) in, `[{"label", "score"}]` out, best first; a list of those for
 * several images.
 */
import * as z from 'zod';
import type { ImageClassificationTask, LabelScore } from '../../tasks/image-classification.ts';
import type { TaskMapping } from '../types.ts';
import {
  type ImagePredictContext,
  type ImageRequest,
  imagesOfRequest,
  imageText,
  numberParameter,
} from './images.ts';

const Labels = z.array(z.object({ label: z.string(), score: z.number() }));

/** What an image-classification endpoint answers: one image's labels, or a list per image. */
export const ImageClassificationResponse = z.union([Labels, z.array(Labels)]);
export type ImageClassificationResponse = z.infer<typeof ImageClassificationResponse>;

/** Both directions of image classification over a JSON predict endpoint. */
export const imageClassificationMapping: TaskMapping<
  ImageClassificationTask,
  ImageRequest,
  ImageClassificationResponse,
  ImagePredictContext
> = {
  encodeRequest(input) {
    const images = Array.isArray(input.image) ? input.image : [input.image];
    const texts = images.map(imageText);
    return { inputs: Array.isArray(input.image) ? texts : texts[0]!, parameters: { top_k: input.topK } };
  },
  decodeRequest(body) {
    const topK = numberParameter(body, 'top_k');
    return { image: imagesOfRequest(body), ...(topK !== undefined && { topK }) };
  },
  encodeResponse: ({ predictions }, context) => (context.single ? predictions[0]! : predictions),
  decodeResponse(body) {
    const lists =
      body.length > 0 && Array.isArray(body[0]) ? (body as LabelScore[][]) : [body as LabelScore[]];
    return {
      predictions: lists.map((list) => list.map(({ label, score }) => ({ label, score }))),
      usage: {},
    };
  },
};
