import {
  type ImageClassificationTask,
  imageClassification,
  type LabelScore,
  ModelLoadError,
} from '@mlkit/core';
import { resolveLabels } from '../labels.ts';
import { describeValue } from '../session.ts';
import { floatSlice } from '../tensors.ts';
import {
  imageBatching,
  imageInputsOf,
  type PreparedImage,
  prepareImages,
  preprocessorOf,
  runBySize,
} from '../vision/images.ts';
import { topLabels } from '../vision/top-labels.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

const TASK = 'image-classification';

/** The `image-classification` task: pixel_values (as preprocessor_config.json says) -> logits -> softmax, top-k with id2label. */
export function imageClassificationTask({
  session,
  folder,
  options,
  label,
  device,
  images,
}: TaskContext): TaskRunner<ImageClassificationTask> {
  const inputs = imageInputsOf(session, label, TASK);
  const config = preprocessorOf(folder, label, TASK);
  const outputs = [...session.outputs.values()];
  const logits =
    session.outputs.get('logits') ??
    outputs.find((o) => o.type?.startsWith('float') && (o.shape?.length ?? 2) === 2);
  if (!logits) {
    throw new ModelLoadError(
      `${label}: image classification needs a logits output [batch, classes]; found ${outputs.map(describeValue).join(', ')}`,
    );
  }
  const width = logits.shape?.at(-1);
  const labels = resolveLabels(folder, options.labels, typeof width === 'number' ? width : undefined, label);

  /** One row of logits per image, in order. */
  const runBatch = (items: PreparedImage[], signal?: AbortSignal) =>
    runBySize(items, session, inputs, async (feeds, group) => {
      const result = (await session.run(feeds, [logits.name], signal))[logits.name]!;
      const classes = result.dims.at(-1)!;
      return group.map((_, i) => Float32Array.from(floatSlice(result, i * classes, classes)));
    });
  const batching = imageBatching(inputs, options.batching, runBatch);

  return {
    task: imageClassification,
    capabilities: batching.capabilities,
    batches: batching.batches,
    async run(input, { signal }) {
      const started = performance.now();
      const prepared = await prepareImages(input.image, images, config, signal);
      const rows = await batching.run(prepared, signal);
      const predictions: LabelScore[][] = rows.map((row) =>
        topLabels(row, labels ?? Array.from(row, (_, i) => `LABEL_${i}`), input.topK),
      );
      return { predictions, usage: { durationMs: performance.now() - started, device } };
    },
  };
}

/** The image-classification task's local runner. */
export const imageClassificationRunner: LocalRunner<ImageClassificationTask> = {
  needs: () => ({ preprocessor: true }),
  build: imageClassificationTask,
};
