import { abortErrorOf, type ImageSource, InvalidInputError, ModelLoadError } from '@mlkit/core';
import { MicroBatcher } from '../batcher.ts';
import type { ModelFolder } from '../folder.ts';
import { type ImagePreprocessor, imagePreprocessor } from '../media/preprocess-image.ts';
import type { ResolvedOptions } from '../options.ts';
import type { OrtTensor } from '../ort.ts';
import type { RuntimeImages } from '../runtime.ts';
import { describeValue, requireFeedableInputs, type Session, type ValueInfo } from '../session.ts';

/** One image ready for the model: its `pixel_values` slice (CHW) and the sizes that map boxes back. */
export interface PreparedImage {
  pixels: Float32Array;
  /** [channels, height, width] of `pixels`. */
  dims: [number, number, number];
  original: { width: number; height: number };
  /** After resize (and crop), before padding. */
  resized: { width: number; height: number };
}

/** The model's image input (`pixel_values`, else its only float input of rank 4) and whether it takes `pixel_mask`. */
export interface ImageInputs {
  pixels: ValueInfo;
  pixelMask: boolean;
  /** The batch dimension is fixed to 1: images run one at a time. */
  batchOfOne: boolean;
}

/** Find the image input; fail at load when the model wants inputs an image task cannot feed. */
export function imageInputsOf(session: Session, label: string, task: string): ImageInputs {
  const inputs = [...session.inputs.values()];
  const pixels =
    session.inputs.get('pixel_values') ??
    (inputs.length === 1 && inputs[0]!.type?.startsWith('float') && inputs[0]!.shape?.length === 4
      ? inputs[0]
      : undefined);
  if (!pixels) {
    throw new ModelLoadError(
      `${label}: ${task} needs an image input (float pixel_values [batch, channels, height, width]); found inputs ${inputs.map(describeValue).join(', ')}`,
    );
  }
  if (pixels.type !== 'float32') {
    throw new ModelLoadError(
      `${label}: ${task} feeds float32 pixels, but the model's input is ${describeValue(pixels)}; load its fp32 file (dtype: 'fp32')`,
    );
  }
  requireFeedableInputs(session, label, task, (name) => name === pixels.name || name === 'pixel_mask');
  return { pixels, pixelMask: session.inputs.has('pixel_mask'), batchOfOne: pixels.shape?.[0] === 1 };
}

/** preprocessor_config.json, which says how pixels are resized and normalised; required. */
export function preprocessorOf(folder: ModelFolder, label: string, task: string): Record<string, unknown> {
  if (!folder.preprocessorConfig) {
    throw new ModelLoadError(
      `${label}: ${task} needs preprocessor_config.json (how images are resized and normalised for this model); export the model with its image processor, e.g. processor.save_pretrained(folder)`,
    );
  }
  return folder.preprocessorConfig;
}

// A task's preprocessor_config.json is checked once, not once per image.
const preprocessors = new WeakMap<Record<string, unknown>, ImagePreprocessor>();

function preprocessorFor(config: Record<string, unknown>): ImagePreprocessor {
  const preprocessor = preprocessors.get(config) ?? imagePreprocessor(config);
  preprocessors.set(config, preprocessor);
  return preprocessor;
}

/**
 * Decode and preprocess each image of a call (`input.image`, one or a list), before any inference:
 * an image that cannot be read is an InvalidInputError naming its place, e.g. `input.image[1]`.
 */
export async function prepareImages(
  image: ImageSource | ImageSource[],
  images: RuntimeImages,
  config: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<PreparedImage[]> {
  const sources = Array.isArray(image) ? image : [image];
  const resize = await images.resizer();
  if (signal?.aborted) throw abortErrorOf(signal);
  // All at once: sharp decodes and resizes on libuv's thread pool, so images of one call overlap.
  const settled = await Promise.allSettled(
    sources.map(async (source): Promise<PreparedImage> => {
      const decoded = await images.decode(source, signal ? { signal } : {});
      const { pixelValues, dims, resizedSizes } = await preprocessorFor(config)([decoded], { resize });
      return {
        pixels: pixelValues,
        dims: [dims[1], dims[2], dims[3]],
        original: { width: decoded.width, height: decoded.height },
        resized: { width: resizedSizes[0]![1], height: resizedSizes[0]![0] },
      };
    }),
  );
  const prepared: PreparedImage[] = [];
  for (const [index, result] of settled.entries()) {
    if (result.status === 'fulfilled') {
      prepared.push(result.value);
      continue;
    }
    const error: unknown = result.reason;
    if (!(error instanceof InvalidInputError)) throw error;
    // The first image that cannot be read, by its place in the input.
    const path = Array.isArray(image) ? `input.image[${index}]` : 'input.image';
    throw new InvalidInputError(`${path}: ${error.message}`, {
      cause: error,
      issues: [{ path, message: error.message }],
    });
  }
  if (signal?.aborted) throw abortErrorOf(signal);
  return prepared;
}

/**
 * Images of one size share a session run (a model with a fixed batch of 1 runs them one by one);
 * `run` gets each group's feeds and returns one output per image of it, which come back in input order.
 */
export async function runBySize<O>(
  items: PreparedImage[],
  session: Session,
  inputs: ImageInputs,
  run: (feeds: Record<string, OrtTensor>, group: PreparedImage[]) => Promise<O[]>,
): Promise<O[]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = inputs.batchOfOne ? `#${index}` : item.dims.join('x');
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const out = new Array<O>(items.length);
  for (const indices of groups.values()) {
    const group = indices.map((i) => items[i]!);
    const [channels, height, width] = group[0]!.dims;
    const plane = channels * height * width;
    const pixels = new Float32Array(group.length * plane);
    for (const [i, item] of group.entries()) pixels.set(item.pixels, i * plane);
    const feeds: Record<string, OrtTensor> = {
      [inputs.pixels.name]: new session.ort.Tensor('float32', pixels, [
        group.length,
        channels,
        height,
        width,
      ]),
    };
    if (inputs.pixelMask) {
      // Images of one size fill the whole tensor: no padding to mask.
      const mask = new BigInt64Array(group.length * height * width).fill(1n);
      feeds.pixel_mask = new session.ort.Tensor('int64', mask, [group.length, height, width]);
    }
    const outputs = await run(feeds, group);
    indices.forEach((index, i) => {
      out[index] = outputs[i]!;
    });
  }
  return out;
}

/**
 * The vision tasks' micro-batching: images of concurrent calls share runs, unless batching is off or
 * the model's batch is fixed at 1. `run` gives each prepared image its output, in order.
 */
export function imageBatching<O>(
  inputs: ImageInputs,
  batching: ResolvedOptions['batching'],
  runBatch: (items: PreparedImage[], signal?: AbortSignal) => Promise<O[]>,
) {
  const batcher =
    batching === false || inputs.batchOfOne
      ? undefined
      : new MicroBatcher<PreparedImage, O>({ ...batching, runBatch: (items) => runBatch(items) });
  return {
    capabilities: {
      streaming: false,
      batching: true,
      maxBatch: inputs.batchOfOne ? 1 : batching ? batching.maxBatch : undefined,
    },
    batches: () => batcher?.runs ?? 0,
    run: (prepared: PreparedImage[], signal: AbortSignal | undefined): Promise<O[]> =>
      batcher ? batcher.add(prepared, signal) : runBatch(prepared, signal),
  };
}
