/**
 * The `/predict` protocol of hand-written model APIs (FastAPI, Flask, Express) and `@mlkit/server`:
 * its wire schemas and both directions of classification. FastAPI's 422 `{detail: [{loc, msg}]}`
 * becomes an InvalidInputError with the `loc` paths in the transport (src/http/errors.ts).
 */
import type { Protocol } from '../types.ts';
import { classificationMapping } from './classification.ts';
import { imageClassificationMapping } from './image-classification.ts';
import { objectDetectionMapping } from './object-detection.ts';

export {
  classificationMapping,
  decodePredictions,
  isSingleItem,
  type PredictContext,
} from './classification.ts';
export { ImageClassificationResponse, imageClassificationMapping } from './image-classification.ts';
export { type ImagePredictContext, ImageRequest, toBase64 } from './images.ts';
export { ObjectDetectionResponse, objectDetectionMapping } from './object-detection.ts';
export { PredictRequest, PredictResponse } from './schemas.ts';

/** The `/predict` wire format's task table. */
export const predictProtocol = {
  name: 'predict',
  tasks: {
    classification: classificationMapping,
    'image-classification': imageClassificationMapping,
    'object-detection': objectDetectionMapping,
  },
} as const satisfies Protocol;
