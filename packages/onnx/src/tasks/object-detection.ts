import { type Detection, ModelLoadError, type ObjectDetectionTask, objectDetection } from '@mlkit/core';
import { resolveLabels } from '../labels.ts';
import type { OrtTensor } from '../ort.ts';
import { describeValue, type ValueInfo } from '../session.ts';
import { floatSlice } from '../tensors.ts';
import { detrDetections } from '../vision/detr.ts';
import {
  imageBatching,
  imageInputsOf,
  type PreparedImage,
  prepareImages,
  preprocessorOf,
  runBySize,
} from '../vision/images.ts';
import { type YoloOutput, yoloDetections } from '../vision/yolo.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

const TASK = 'object-detection';
/** Ultralytics' default IoU for non-maximum suppression. */
const DEFAULT_IOU_THRESHOLD = 0.45;

/** One image's slice of the model's outputs, before the call's threshold is applied. */
type RawDetections =
  | { kind: 'detr'; logits: Float32Array; boxes: Float32Array; queries: number }
  | { kind: 'yolo'; output: YoloOutput };

const fixed = (dim: number | string | undefined) => (typeof dim === 'number' && dim > 0 ? dim : undefined);

/**
 * The model's head: DETR-style (`logits` [batch, queries, classes + 1] and `pred_boxes` [batch,
 * queries, 4]) or YOLOv8-style (one output [batch, 4 + classes, candidates]).
 */
function headOf(
  outputs: Map<string, ValueInfo>,
  label: string,
): { kind: 'detr' | 'yolo'; fetches: string[] } {
  if (outputs.has('logits') && outputs.has('pred_boxes'))
    return { kind: 'detr', fetches: ['logits', 'pred_boxes'] };
  const values = [...outputs.values()];
  const only = values[0];
  if (values.length === 1 && only!.type?.startsWith('float') && (only!.shape?.length ?? 3) === 3)
    return { kind: 'yolo', fetches: [only!.name] };
  throw new ModelLoadError(
    `${label}: object detection needs DETR-style outputs (logits + pred_boxes) or one YOLO-style output [batch, 4 + classes, candidates]; found ${values.map(describeValue).join(', ')}`,
  );
}

/** The `object-detection` task: DETR-style (logits + pred_boxes) and YOLOv8-style single-output detectors. */
export function objectDetectionTask({
  session,
  folder,
  options,
  label,
  device,
  images,
}: TaskContext): TaskRunner<ObjectDetectionTask> {
  const inputs = imageInputsOf(session, label, TASK);
  const config = preprocessorOf(folder, label, TASK);
  const head = headOf(session.outputs, label);
  const shape = session.outputs.get(head.fetches[0]!)!.shape;
  const logitsWidth = fixed(shape?.[2]);
  const labels = resolveLabels(
    folder,
    options.labels,
    head.kind === 'detr' ? logitsWidth && logitsWidth - 1 : undefined,
    label,
  );
  if (head.kind === 'yolo' && config.do_center_crop) {
    throw new ModelLoadError(
      `${label}: a YOLO-style detector's boxes map back to the original image through the resize only; its preprocessor_config.json must not center-crop (do_center_crop: true)`,
    );
  }
  const iouThreshold = options.iouThreshold ?? DEFAULT_IOU_THRESHOLD;

  /** [4 + classes, candidates] or [candidates, 4 + classes], from the label count where it tells. */
  function yoloLayout(dims: readonly number[]): Omit<YoloOutput, 'data'> {
    const [, a, b] = dims as [number, number, number];
    const classes = labels?.length;
    if (classes === undefined || a === 4 + classes)
      return { layout: 'channels-first', classes: a - 4, candidates: b };
    if (b === 4 + classes) return { layout: 'channels-last', classes: b - 4, candidates: a };
    throw new ModelLoadError(
      `${label}: the YOLO-style output is [${dims.join(', ')}], but ${classes} labels need [batch, ${4 + classes}, candidates]`,
    );
  }

  function slices(results: Record<string, OrtTensor>, count: number): RawDetections[] {
    if (head.kind === 'detr') {
      const logits = results.logits!;
      const boxes = results.pred_boxes!;
      const [, queries, width] = logits.dims as [number, number, number];
      return Array.from({ length: count }, (_, i) => ({
        kind: 'detr' as const,
        logits: Float32Array.from(floatSlice(logits, i * queries * width, queries * width)),
        boxes: Float32Array.from(floatSlice(boxes, i * queries * 4, queries * 4)),
        queries,
      }));
    }
    const output = results[head.fetches[0]!]!;
    const layout = yoloLayout(output.dims);
    const size = layout.candidates * (4 + layout.classes);
    return Array.from({ length: count }, (_, i) => ({
      kind: 'yolo' as const,
      output: { ...layout, data: Float32Array.from(floatSlice(output, i * size, size)) },
    }));
  }

  const runBatch = (items: PreparedImage[], signal?: AbortSignal) =>
    runBySize(items, session, inputs, async (feeds, group) =>
      slices(await session.run(feeds, head.fetches, signal), group.length),
    );
  const batching = imageBatching(inputs, options.batching, runBatch);

  function detections(raw: RawDetections, image: PreparedImage, threshold: number): Detection[] {
    if (raw.kind === 'detr') return detrDetections(raw, labels ?? [], threshold, image.original);
    return yoloDetections(raw.output, labels ?? [], {
      threshold,
      iouThreshold,
      scaleX: image.original.width / image.resized.width,
      scaleY: image.original.height / image.resized.height,
    });
  }

  return {
    task: objectDetection,
    capabilities: batching.capabilities,
    batches: batching.batches,
    async run(input, { signal }) {
      const started = performance.now();
      const prepared = await prepareImages(input.image, images, config, signal);
      const raw = await batching.run(prepared, signal);
      return {
        detections: raw.map((each, i) => detections(each, prepared[i]!, input.threshold)),
        usage: { durationMs: performance.now() - started, device },
      };
    },
  };
}

/** The object-detection task's local runner. */
export const objectDetectionRunner: LocalRunner<ObjectDetectionTask> = {
  needs: () => ({ preprocessor: true }),
  build: objectDetectionTask,
};
