/**
 * Object detection over OIP v2 infer. Request: one image tensor (`images.ts`: UINT8 [N, H, W, C]
 * pixels or BYTES [N] encoded files) and `parameters.threshold`. Response: `boxes` FP32 [N, K, 4]
 * (xmin, ymin, xmax, ymax in pixels of the original image), `scores` FP32 [N, K], `labels` BYTES
 * [N, K] and `detection_count` INT32 [N]: K is the most detections of any image, and the rows of an
 * image with fewer are padding past its count (the layout of TensorFlow's detection exports:
 * `detection_boxes`, `detection_scores`, `detection_classes`, `num_detections`, whose names the
 * client also reads, classes mapped through `labels`).
 */
import { ResponseValidationError } from '../../errors.ts';
import type { Detection, ObjectDetectionTask } from '../../tasks/object-detection.ts';
import type { TaskMapping } from '../types.ts';
import type { InferContext } from './context.ts';
import { imagesOf, imageTensor, numberParameter } from './images.ts';
import type { NamedTensor, TensorRequest, TensorResponse } from './message.ts';

type WireTensorData = NamedTensor['tensor'];
const numbersOf = (tensor: WireTensorData) => Array.from(tensor.data as ArrayLike<number | bigint>, Number);

/** Client: per image its detections from `boxes`/`scores`/`labels` (+ `detection_count`). */
export function detectionsOf(body: TensorResponse, context: InferContext): Detection[][] {
  const byName = new Map(body.outputs.map((output) => [output.name, output.tensor]));
  const boxes = byName.get('boxes') ?? byName.get('detection_boxes');
  const scores = byName.get('scores') ?? byName.get('detection_scores');
  const labels = byName.get('labels') ?? byName.get('detection_classes');
  const counts = byName.get('detection_count') ?? byName.get('num_detections');
  if (
    !boxes ||
    !scores ||
    !labels ||
    boxes.dtype === 'string' ||
    scores.dtype === 'string' ||
    boxes.shape.length !== 3 ||
    boxes.shape[2] !== 4
  ) {
    throw new ResponseValidationError(
      `Model "${context.modelName}" answered with outputs ${body.outputs.map((o) => o.name).join(', ') || '(none)'}; object detection needs boxes [N, K, 4], scores [N, K] and labels [N, K]`,
    );
  }
  const [images, slots] = boxes.shape as [number, number, number];
  const boxValues = numbersOf(boxes);
  const scoreValues = numbersOf(scores);
  const countValues = counts && counts.dtype !== 'string' ? numbersOf(counts) : undefined;
  const labelAt = (index: number): string => {
    if (labels.dtype === 'string') return labels.data[index]!;
    const value = Number(labels.data[index]);
    return context.labels?.[value] ?? String(value);
  };
  return Array.from({ length: images }, (_, image) => {
    const count = Math.min(countValues?.[image] ?? slots, slots);
    const out: Detection[] = [];
    for (let slot = 0; slot < count; slot++) {
      const at = image * slots + slot;
      const label = labelAt(at);
      if (countValues === undefined && label === '') continue;
      const [xmin, ymin, xmax, ymax] = boxValues.slice(at * 4, at * 4 + 4) as [
        number,
        number,
        number,
        number,
      ];
      out.push({ label, score: scoreValues[at]!, box: { xmin, ymin, xmax, ymax } });
    }
    return out;
  });
}

/** The object-detection task's mapping (both directions). */
export const objectDetectionMapping: TaskMapping<
  ObjectDetectionTask,
  TensorRequest,
  TensorResponse,
  InferContext
> = {
  encodeRequest: (input, context) => ({
    inputs: [imageTensor(Array.isArray(input.image) ? input.image : [input.image], context)],
    parameters: { threshold: input.threshold },
  }),
  decodeRequest(body) {
    const threshold = numberParameter(body, 'threshold');
    return {
      image: imagesOf(body, 'object-detection models'),
      ...(threshold !== undefined && { threshold }),
    };
  },
  encodeResponse({ detections }) {
    const images = detections.length;
    const slots = Math.max(0, ...detections.map((list) => list.length));
    const boxes = new Float32Array(images * slots * 4);
    const scores = new Float32Array(images * slots);
    const labels: string[] = Array.from({ length: images * slots }, () => '');
    detections.forEach((list, image) => {
      list.forEach(({ label, score, box }, slot) => {
        const at = image * slots + slot;
        boxes.set([box.xmin, box.ymin, box.xmax, box.ymax], at * 4);
        scores[at] = score;
        labels[at] = label;
      });
    });
    return {
      outputs: [
        { name: 'boxes', tensor: { dtype: 'float32', shape: [images, slots, 4], data: boxes } },
        { name: 'scores', tensor: { dtype: 'float32', shape: [images, slots], data: scores } },
        { name: 'labels', tensor: { dtype: 'string', shape: [images, slots], data: labels } },
        {
          name: 'detection_count',
          tensor: {
            dtype: 'int32',
            shape: [images],
            data: Int32Array.from(detections, (list) => list.length),
          },
        },
      ],
    };
  },
  decodeResponse: (body, context) => ({ detections: detectionsOf(body, context), usage: {} }),
};
