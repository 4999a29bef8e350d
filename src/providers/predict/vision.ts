/**
 * Vision models over Hugging Face inference-style JSON endpoints (the HF Inference API, Inference
 * Endpoints, hand-written FastAPI apps, `@mlkit/server`'s `/predict/{name}`): one request per
 * image, its bytes POSTed raw with their `Content-Type: image/*` (default) or as JSON
 * `{"inputs": "<base64>", "parameters"}`; `[{label, score}]` / `[{label, score, box}]` answers.
 * `topK` and `threshold` are sent (JSON: as `parameters`; raw: as the `top_k` / `threshold` query
 * parameter, as `@mlkit/server` reads them) and applied again to the answer, for servers that ignore them.
 */
import type * as z from 'zod';
import { defineModel } from '../../define-model.ts';
import { ResponseValidationError } from '../../errors.ts';
import { createTransport } from '../../http/transport.ts';
import type { Model } from '../../model.ts';
import {
  ImageClassificationResponse,
  imageClassificationMapping,
} from '../../protocols/predict/image-classification.ts';
import { ObjectDetectionResponse, objectDetectionMapping } from '../../protocols/predict/object-detection.ts';
import type { TaskMapping } from '../../protocols/types.ts';
import {
  type ImageClassificationTask,
  imageClassification,
  type LabelScore,
} from '../../tasks/image-classification.ts';
import type { ImageSource } from '../../tasks/media.ts';
import { type Detection, type ObjectDetectionTask, objectDetection } from '../../tasks/object-detection.ts';
import type { Task } from '../../tasks/task.ts';
import { mapBounded } from '../map-bounded.ts';
import { readBlobs } from '../oip/media.ts';
import { positiveInteger } from '../openai-compatible/embeddings.ts';
import { callOptions } from '../openai-compatible/request.ts';
import { type PredictSettings, splitUrl } from './index.ts';

/** Settings of the vision predict models: the endpoint, how images travel, and every transport option. */
export interface PredictVisionSettings
  extends Omit<PredictSettings, 'labels' | 'request' | 'response' | 'batch'> {
  /**
   * `'raw'` (default): an image's bytes as the body with their `Content-Type` (image/png, image/jpeg...),
   * as the HF Inference API takes them; `'json'`: `{"inputs": "<base64>", "parameters"}`. URL
   * images always go as JSON (`{"inputs": "<url>"}`).
   */
  upload?: 'raw' | 'json';
}

/** The media type of encoded image bytes, from their first bytes. */
export function imageMediaType(bytes: Uint8Array): string {
  const starts = (...signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP')
    return 'image/webp';
  if (starts(0x42, 0x4d)) return 'image/bmp';
  return 'application/octet-stream';
}

const bytesOf = (image: ImageSource) =>
  image instanceof Uint8Array ? image : image instanceof ArrayBuffer ? new Uint8Array(image) : undefined;

type VisionTask = ImageClassificationTask | ObjectDetectionTask;

/** `path` with the task's parameter (`top_k` or `threshold`) as a query parameter. */
function withParameter(path: string, taskName: string, input: { topK?: number; threshold?: number }): string {
  const [key, value] =
    taskName === 'image-classification' ? ['top_k', input.topK] : ['threshold', input.threshold];
  if (value === undefined) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(String(value))}`;
}

function createVisionModel<T extends VisionTask, R>(
  task: T,
  mapping: TaskMapping<T, unknown, R, { single?: boolean }>,
  schema: z.ZodType<R>,
  settings: PredictVisionSettings,
  finish: (list: (LabelScore | Detection)[], input: { topK?: number; threshold?: number }) => unknown[],
): Model<T> {
  const { url, name = 'predict', upload = 'raw', concurrency, onEvent, ...rest } = settings;
  const { baseURL, path } = splitUrl(url);
  const id = `predict:${url}`;
  const inFlight = positiveInteger('settings.concurrency', concurrency, 4);
  const transport = createTransport({ ...rest, provider: name, baseURL, modelId: id });
  return defineModel({
    id,
    onEvent,
    task: task as Task,
    capabilities: { streaming: false, batching: false, local: false },
    async run(given: { image: ImageSource | ImageSource[] }, call) {
      const input = await readBlobs(given);
      const images = Array.isArray(input.image) ? input.image : [input.image];
      const options = callOptions(call);
      const lists = await mapBounded(images, inFlight, call.signal, async (image, signal) => {
        const bytes = upload === 'raw' ? bytesOf(image) : undefined;
        const one = { ...input, image };
        const body =
          bytes ?? (mapping.encodeRequest as (input: unknown, context: object) => unknown)(one, {});
        const headers = bytes
          ? { ...options.headers, 'content-type': imageMediaType(bytes) }
          : options.headers;
        // A raw upload has no body left for parameters: they go in the query, where @mlkit/server's
        // /predict reads them (a JSON body carries them as `parameters`).
        const answer = await transport.json({
          path: bytes ? withParameter(path, task.name, input as { topK?: number; threshold?: number }) : path,
          body,
          schema,
          ...options,
          headers,
          signal,
        });
        const output = mapping.decodeResponse(answer, { single: true }) as Record<string, unknown[][]>;
        const [list, ...others] = Object.values(output).find(Array.isArray)!;
        if (others.length > 0) {
          throw new ResponseValidationError(`${name} answered ${others.length + 1} lists for one image`, {
            provider: name,
          });
        }
        return finish(list as (LabelScore | Detection)[], input as { topK?: number; threshold?: number });
      });
      const key = task.name === 'image-classification' ? 'predictions' : 'detections';
      return { [key]: lists, usage: {} } as never;
    },
  }) as unknown as Model<T>;
}

/**
 * An image-classification Model over a Hugging Face inference-style endpoint, id `predict:<url>`.
 *
 * @example
 * const vit = createPredictImageClassification({ url: 'https://api-inference.huggingface.co/models/google/vit-base-patch16-224', apiKey });
 * const { predictions } = await vit.run({ image: await readFile('cat.png'), topK: 3 });
 */
export function createPredictImageClassification(
  settings: PredictVisionSettings,
): Model<ImageClassificationTask> {
  return createVisionModel(
    imageClassification,
    imageClassificationMapping as never,
    ImageClassificationResponse,
    settings,
    (list, input) => [...(list as LabelScore[])].sort((a, b) => b.score - a.score).slice(0, input.topK),
  );
}

/** An object-detection Model over a Hugging Face inference-style endpoint (`[{label, score, box}]` answers). */
export function createPredictObjectDetection(settings: PredictVisionSettings): Model<ObjectDetectionTask> {
  return createVisionModel(
    objectDetection,
    objectDetectionMapping as never,
    ObjectDetectionResponse,
    settings,
    (list, input) =>
      (list as Detection[]).filter((d) => d.score >= input.threshold!).sort((a, b) => b.score - a.score),
  );
}
