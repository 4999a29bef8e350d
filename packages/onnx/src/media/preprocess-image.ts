import { ModelLoadError, type RawImage, UnsupportedError } from '@mlkit/core';
import { z } from 'zod';
import { centerCrop, type ImageResizer, type Resample, resizeInJs, toRgb } from './image-transform.ts';

// preprocessor_config.json as Hugging Face's image processors read it, transformers 4 and 5 alike.
// `image_processor_type` is the class name (image_processing_base.py to_dict, 4.57.6 :442, 5.24.0 :415):
// v4's fast processors write `...ImageProcessorFast`, older files `...FeatureExtractor`; v5 writes the
// plain `...ImageProcessor` from both backends (image_processing_backends.py:693-697 drops "Pil"), sizes
// as dicts and no null fields (test/fixtures/hf5, test/fixtures/hf5-formats.test.ts). Sizes are an int
// or a dict ({height,width} | {shortest_edge} | {shortest_edge,longest_edge}). The steps and their
// arithmetic follow transformers.js's ImageProcessor, so pixel values agree with it.

const SizeDict = z.looseObject({
  height: z.int().positive().optional(),
  width: z.int().positive().optional(),
  shortest_edge: z.int().positive().optional(),
  longest_edge: z.int().positive().optional(),
  max_height: z.int().positive().optional(),
  max_width: z.int().positive().optional(),
});
const Size = z.union([z.int().positive(), SizeDict]);
const MeanOrStd = z.union([z.number(), z.array(z.number())]);

/** Schema of the image fields of preprocessor_config.json (other fields are kept and ignored). */
export const ImagePreprocessorConfig = z.looseObject({
  image_processor_type: z.string().optional(),
  feature_extractor_type: z.string().optional(),
  do_convert_rgb: z.boolean().nullish(),
  do_resize: z.boolean().nullish(),
  size: Size.nullish(),
  /** v4 DETR files: the longest edge beside an int `size`. */
  max_size: z.int().positive().nullish(),
  resample: z.int().nullish(),
  crop_pct: z.number().positive().nullish(),
  do_center_crop: z.boolean().nullish(),
  crop_size: Size.nullish(),
  do_rescale: z.boolean().nullish(),
  rescale_factor: z.number().nullish(),
  do_normalize: z.boolean().nullish(),
  image_mean: MeanOrStd.nullish(),
  image_std: MeanOrStd.nullish(),
  do_pad: z.boolean().nullish(),
  pad_size: SizeDict.nullish(),
  do_thumbnail: z.boolean().nullish(),
  do_crop_margin: z.boolean().nullish(),
  do_flip_channel_order: z.boolean().nullish(),
  size_divisibility: z.int().nullish(),
  size_divisor: z.int().nullish(),
  keep_aspect_ratio: z.boolean().nullish(),
});
/** The image fields of preprocessor_config.json. */
export type ImagePreprocessorConfig = z.infer<typeof ImagePreprocessorConfig>;

/** What `preprocessImage` returns: the model's `pixel_values` and what maps boxes back to the originals. */
export interface PreprocessedImages {
  /** NCHW float32, the `pixel_values` input. */
  pixelValues: Float32Array;
  dims: [batch: number, channels: number, height: number, width: number];
  /** `pixel_mask` (N x H x W, 1 on image pixels, 0 on padding) where the processor pads (DETR). */
  pixelMask?: { data: BigInt64Array; dims: [batch: number, height: number, width: number] };
  /** [height, width] of each image as given. */
  originalSizes: Array<[height: number, width: number]>;
  /** [height, width] of each image after resize and crop, before padding. */
  resizedSizes: Array<[height: number, width: number]>;
}

export interface PreprocessImageOptions {
  /** How pixels are resized: Node passes sharp's (`nodeImageResizer()`), the default is pure JS. */
  resize?: ImageResizer;
}

type Processor = 'generic' | 'convnext' | 'detr';

const RESAMPLE: Record<number, Resample> = { 0: 'nearest', 2: 'bilinear', 3: 'bicubic' };

/** The processor family from `image_processor_type`, v4's `...Fast` and older `...FeatureExtractor` alike. */
function processorOf(config: ImagePreprocessorConfig): Processor {
  const name = (config.image_processor_type ?? config.feature_extractor_type ?? '')
    .replace(/Fast$/, '')
    .replace(/FeatureExtractor$/, 'ImageProcessor');
  if (/^ConvNext(V2)?ImageProcessor$/.test(name)) return 'convnext';
  if (name === 'DetrImageProcessor') return 'detr';
  return 'generic';
}

function unsupported(field: string, detail: string): UnsupportedError {
  return new UnsupportedError(`preprocessor_config.json: ${field} ${detail} is not supported`, {
    param: field,
  });
}

/** The config checked for what this preprocessing does, with transformers' defaults filled in. */
function settingsOf(raw: unknown) {
  const parsed = ImagePreprocessorConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelLoadError(
      `preprocessor_config.json: ${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const config = parsed.data;
  const processor = processorOf(config);
  for (const field of [
    'do_thumbnail',
    'do_crop_margin',
    'do_flip_channel_order',
    'keep_aspect_ratio',
  ] as const)
    if (config[field]) throw unsupported(field, 'true');
  for (const field of ['size_divisibility', 'size_divisor'] as const)
    if (config[field] != null) throw unsupported(field, `(${config[field]})`);
  const resample = RESAMPLE[config.resample ?? 2];
  if (!resample)
    throw unsupported('resample', `${config.resample} (0 nearest, 2 bilinear and 3 bicubic are)`);
  for (const field of ['size', 'crop_size'] as const) {
    const size = config[field];
    if (size && typeof size === 'object' && (size.max_height != null || size.max_width != null))
      throw unsupported(field, 'with max_height/max_width');
  }
  const channelsOf = (value: number | number[] | null | undefined, field: string) => {
    const values = typeof value === 'number' ? [value, value, value] : value;
    if (values?.length !== 3)
      throw unsupported(field, `${JSON.stringify(value)} (do_normalize needs 3 values or one)`);
    return values;
  };
  const doNormalize = config.do_normalize ?? false;
  return {
    processor,
    config,
    resample,
    doConvertRgb: config.do_convert_rgb ?? true,
    doResize: config.do_resize ?? config.size != null,
    doCenterCrop: config.do_center_crop ?? false,
    doRescale: config.do_rescale ?? true,
    rescaleFactor: config.rescale_factor ?? 1 / 255,
    mean: doNormalize ? channelsOf(config.image_mean, 'image_mean') : undefined,
    std: doNormalize ? channelsOf(config.image_std, 'image_std') : undefined,
    doPad: config.do_pad ?? false,
  };
}
type Settings = ReturnType<typeof settingsOf>;

/**
 * Output [width, height] for a size, as transformers.js computes it: {height,width} exactly;
 * shortest_edge (and longest_edge) keeping the aspect ratio, rounded to 2 decimals then floored.
 */
function resizeTarget(
  settings: Settings,
  image: { width: number; height: number },
  size: z.infer<typeof Size>,
): [number, number] {
  let shortest: number | undefined;
  let longest: number | undefined;
  if (typeof size === 'number') {
    // Python's default_to_square: an int is a square for most processors, the shortest edge for ConvNext and DETR.
    if (settings.processor === 'generic') return [size, size];
    shortest = size;
    longest = settings.config.max_size ?? (settings.processor === 'detr' ? undefined : size);
  } else {
    shortest = size.shortest_edge;
    longest = size.longest_edge;
    if (shortest === undefined && longest === undefined) {
      if (size.height !== undefined && size.width !== undefined) return [size.width, size.height];
      throw unsupported('size', JSON.stringify(size));
    }
  }
  const shortFactor = shortest === undefined ? 1 : Math.max(shortest / image.width, shortest / image.height);
  const width = image.width * shortFactor;
  const height = image.height * shortFactor;
  const longFactor = longest === undefined ? 1 : Math.min(longest / width, longest / height);
  return [
    Math.floor(Number((width * longFactor).toFixed(2))),
    Math.floor(Number((height * longFactor).toFixed(2))),
  ];
}

async function resized(settings: Settings, image: RawImage, resize: ImageResizer): Promise<RawImage> {
  const size = settings.config.size;
  if (size == null) throw unsupported('size', 'missing while do_resize is true');
  if (settings.processor === 'convnext') {
    // ConvNext: below 384, resize the shortest edge to shortest_edge / crop_pct, then crop the centre square.
    const shortest = typeof size === 'number' ? size : size.shortest_edge;
    if (shortest === undefined)
      throw unsupported('size', `${JSON.stringify(size)} (ConvNext needs shortest_edge)`);
    if (shortest >= 384) return resize(image, shortest, shortest, settings.resample);
    const cropPct = settings.config.crop_pct ?? 224 / 256;
    const [width, height] = resizeTarget(settings, image, { shortest_edge: Math.floor(shortest / cropPct) });
    return centerCrop(await resize(image, width, height, settings.resample), shortest, shortest);
  }
  const [width, height] = resizeTarget(settings, image, size);
  if (width === image.width && height === image.height) return image;
  return resize(image, width, height, settings.resample);
}

function cropped(settings: Settings, image: RawImage): RawImage {
  const crop = settings.config.crop_size;
  if (crop == null) throw unsupported('crop_size', 'missing while do_center_crop is true');
  if (typeof crop === 'number') return centerCrop(image, crop, crop);
  if (crop.width === undefined || crop.height === undefined)
    throw unsupported('crop_size', `${JSON.stringify(crop)} (needs height and width)`);
  return centerCrop(image, crop.width, crop.height);
}

/**
 * Per channel, the float value of each of the 256 byte levels: rescaled, then normalised, in float32
 * steps as transformers.js does (each step rounded to float32), so a lookup equals the arithmetic.
 */
function levelTables(settings: Settings, channels: number): Float32Array[] {
  const { mean, std, doRescale, rescaleFactor } = settings;
  return Array.from({ length: channels }, (_, channel) => {
    const table = new Float32Array(256);
    for (let level = 0; level < 256; level++) {
      const rescaled = doRescale ? Math.fround(rescaleFactor * level) : level;
      table[level] =
        mean && std ? (rescaled - (mean[channel] as number)) / (std[channel] as number) : rescaled;
    }
    return table;
  });
}

/** Preprocess a batch of images; see `imagePreprocessor`. */
export type ImagePreprocessor = (
  images: RawImage[],
  options?: PreprocessImageOptions,
) => Promise<PreprocessedImages>;

/**
 * A model's image preprocessing with its preprocessor_config.json checked once (an UnsupportedError
 * or ModelLoadError here, naming the field), for a model that preprocesses many calls.
 */
export function imagePreprocessor(config: unknown): ImagePreprocessor {
  const settings = settingsOf(config);
  const tables = new Map<number, Float32Array[]>();
  const tablesFor = (channels: number) => {
    const found = tables.get(channels) ?? levelTables(settings, channels);
    tables.set(channels, found);
    return found;
  };
  return async (images, options = {}) => {
    const resize = options.resize ?? resizeInJs;
    const prepared: RawImage[] = [];
    for (let image of images) {
      if (settings.doConvertRgb) image = toRgb(image);
      if (settings.doResize) image = await resized(settings, image, resize);
      if (settings.doCenterCrop) image = cropped(settings, image);
      prepared.push(image);
    }
    const channels = prepared[0]?.channels ?? 3;
    if (prepared.some((image) => image.channels !== channels))
      throw unsupported('do_convert_rgb', 'false with images of different channel counts in one batch');
    const resizedSizes = prepared.map((image): [number, number] => [image.height, image.width]);
    const pad = settings.config.pad_size;
    const height =
      settings.doPad && pad?.height ? pad.height : Math.max(...prepared.map((image) => image.height));
    const width =
      settings.doPad && pad?.width ? pad.width : Math.max(...prepared.map((image) => image.width));
    if (!settings.doPad && prepared.some((image) => image.width !== width || image.height !== height))
      throw unsupported(
        'do_pad',
        `false with images of different sizes after preprocessing (${resizedSizes.map(([h, w]) => `${w}x${h}`).join(', ')}); run them one at a time`,
      );
    const plane = height * width;
    const pixelValues = new Float32Array(prepared.length * channels * plane);
    const masked = settings.processor === 'detr' || settings.doPad;
    const mask = masked ? new BigInt64Array(prepared.length * plane) : undefined;
    const levels = tablesFor(channels);
    prepared.forEach((image, index) => {
      if (image.width > width || image.height > height)
        throw unsupported(
          'pad_size',
          `${width}x${height} smaller than an image (${image.width}x${image.height})`,
        );
      const { data } = image;
      // HWC bytes -> CHW floats, the image in the top-left corner and zeros after it (transformers pads bottom/right).
      for (let channel = 0; channel < channels; channel++) {
        const table = levels[channel] as Float32Array;
        const base = (index * channels + channel) * plane;
        for (let y = 0; y < image.height; y++) {
          const row = base + y * width;
          let from = y * image.width * channels + channel;
          for (let x = 0; x < image.width; x++, from += channels)
            pixelValues[row + x] = table[data[from] as number] as number;
        }
      }
      if (mask)
        for (let y = 0; y < image.height; y++) {
          const row = index * plane + y * width;
          mask.fill(1n, row, row + image.width);
        }
    });
    return {
      pixelValues,
      dims: [prepared.length, channels, height, width],
      ...(mask
        ? { pixelMask: { data: mask, dims: [prepared.length, height, width] as [number, number, number] } }
        : {}),
      originalSizes: images.map((image): [number, number] => [image.height, image.width]),
      resizedSizes,
    };
  };
}

/**
 * Turn images into a model's `pixel_values` (NCHW float32) as its preprocessor_config.json says:
 * RGB conversion, resize (ConvNext's crop_pct, DETR's shortest/longest edge), centre crop, rescale,
 * normalise, and padding to the batch's largest image with a `pixel_mask` (DETR).
 * Unsupported settings are an UnsupportedError naming the field.
 *
 * @example
 * const { pixelValues, dims } = await preprocessImage([await decodeImage(bytes)], config, { resize: await nodeImageResizer() });
 */
export async function preprocessImage(
  images: RawImage[],
  config: unknown,
  options: PreprocessImageOptions = {},
): Promise<PreprocessedImages> {
  return imagePreprocessor(config)(images, options);
}
