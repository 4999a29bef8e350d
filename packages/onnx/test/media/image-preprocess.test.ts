import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoImageProcessor, env, RawImage as TransformersImage } from '@huggingface/transformers';
import { type RawImage, UnsupportedError } from '@mlkit/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, nodeImageResizer, sharpResizer } from '../../src/media/image-decode.node.ts';
import { resizePixels } from '../../src/media/image-transform.ts';
import { imagePreprocessor, preprocessImage } from '../../src/media/preprocess-image.ts';

// A 61x47 RGB picture with gradients and edges, so every resize filter has something to get wrong.
function picture(width = 61, height = 47): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      data[at] = (x * 255) / (width - 1);
      data[at + 1] = (y * 255) / (height - 1);
      data[at + 2] = (x + y) % 7 < 3 ? 230 : 20;
    }
  return { data, width, height, channels: 3 };
}

const IMAGENET = { image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] };
const CONFIGS = {
  vit: {
    image_processor_type: 'ViTImageProcessor',
    do_resize: true,
    size: { height: 32, width: 32 },
    resample: 2,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
  },
  convnext: {
    image_processor_type: 'ConvNextImageProcessor',
    do_resize: true,
    size: { shortest_edge: 32 },
    crop_pct: 0.875,
    resample: 3,
    do_rescale: true,
    do_normalize: true,
    ...IMAGENET,
  },
  detr: {
    image_processor_type: 'DetrImageProcessor',
    do_resize: true,
    size: { shortest_edge: 40, longest_edge: 64 },
    resample: 2,
    do_rescale: true,
    do_normalize: true,
    do_pad: true,
    ...IMAGENET,
  },
  centerCrop: {
    image_processor_type: 'CLIPImageProcessor',
    size: { shortest_edge: 36 },
    do_center_crop: true,
    crop_size: { height: 30, width: 30 },
    resample: 3,
    do_normalize: true,
    ...IMAGENET,
  },
};

async function transformersPixels(config: object, image: RawImage) {
  const dir = await mkdtemp(join(tmpdir(), 'mlkit-preprocessor-'));
  await mkdir(join(dir, 'model'));
  await writeFile(join(dir, 'model', 'preprocessor_config.json'), JSON.stringify(config));
  env.allowRemoteModels = false;
  env.localModelPath = `${dir}/`;
  const processor = await AutoImageProcessor.from_pretrained('model');
  const input = new TransformersImage(
    new Uint8ClampedArray(image.data),
    image.width,
    image.height,
    image.channels,
  );
  const { pixel_values } = await processor(input);
  return { data: pixel_values.data as Float32Array, dims: pixel_values.dims as number[] };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe('preprocessImage agrees with transformers.js (sharp resize, as transformers.js does in Node)', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: pixel_values within 1e-4`, async () => {
      const image = picture();
      const expected = await transformersPixels(config, image);
      const ours = await preprocessImage([image], config, { resize: await nodeImageResizer() });
      expect(ours.dims).toEqual(expected.dims);
      expect(maxDifference(ours.pixelValues, expected.data)).toBeLessThanOrEqual(1e-4);
    });
  }

  it('v5 spelling (ViTImageProcessorFast, int size) gives the same pixels as v4 {height, width}', async () => {
    const image = picture();
    const v4 = await preprocessImage([image], CONFIGS.vit, { resize: await nodeImageResizer() });
    const v5 = await preprocessImage(
      [image],
      { ...CONFIGS.vit, image_processor_type: 'ViTImageProcessorFast', size: 32 },
      { resize: await nodeImageResizer() },
    );
    expect(v5.dims).toEqual([1, 3, 32, 32]);
    expect(maxDifference(v5.pixelValues, v4.pixelValues)).toBe(0);
  });
});

describe('the pure-JS resize (no sharp)', () => {
  it('stays within a few levels of sharp and of transformers.js', async () => {
    const image = picture();
    const resize = sharpResizer(sharp as never);
    const differences: Record<string, number> = {};
    for (const resample of ['nearest', 'bilinear', 'bicubic'] as const) {
      const viaSharp = await resize(image, 32, 24, resample);
      const viaJs = resizePixels(image, 32, 24, resample);
      differences[resample] = maxDifference(viaJs.data, viaSharp.data);
    }
    const expected = await transformersPixels(CONFIGS.vit, image);
    const ours = await preprocessImage([image], CONFIGS.vit);
    differences.vitPixelValues = maxDifference(ours.pixelValues, expected.data);
    console.info('pure-JS resize max |difference|', differences);
    expect(differences.nearest).toBe(0);
    expect(differences.bilinear).toBeLessThanOrEqual(1);
    expect(differences.bicubic).toBeLessThanOrEqual(2);
    // One level of 255 (bilinear), after normalising with std 0.5.
    expect(differences.vitPixelValues).toBeLessThanOrEqual((1 / 255) * 2 + 1e-4);
  });
});

describe('preprocessImage', () => {
  it('DETR pads a batch to its largest image and masks the padding; sizes map boxes back', async () => {
    const wide = picture(80, 40);
    const tall = picture(40, 60);
    const out = await preprocessImage([wide, tall], CONFIGS.detr);
    // wide: shortest 40 -> 80x40, capped by longest 64 to 64x32. tall: transformers.js scales 40x60
    // up until the longest edge is 64 (42x64), where Python's DETR would keep 40x60.
    expect(out.resizedSizes).toEqual([
      [32, 64],
      [64, 42],
    ]);
    expect(out.originalSizes).toEqual([
      [40, 80],
      [60, 40],
    ]);
    expect(out.dims).toEqual([2, 3, 64, 64]);
    const mask = out.pixelMask;
    const plane = 64 * 64;
    expect(mask?.dims).toEqual([2, 64, 64]);
    expect(mask?.data[31 * 64 + 63]).toBe(1n);
    expect(mask?.data[32 * 64 + 0]).toBe(0n);
    expect(mask?.data[plane + 63 * 64 + 41]).toBe(1n);
    expect(mask?.data[plane + 0 * 64 + 42]).toBe(0n);
    expect(out.pixelValues[3 * plane + 0 * 64 + 50]).toBe(0);
    expect(out.pixelValues[3 * plane + 0 * 64 + 10]).not.toBe(0);
  });

  it('converts RGBA and grayscale to RGB first (do_convert_rgb)', async () => {
    const rgb = picture(8, 8);
    const rgba = new Uint8Array(8 * 8 * 4);
    const gray = new Uint8Array(8 * 8);
    for (let pixel = 0; pixel < 64; pixel++) {
      rgba.set([...rgb.data.subarray(pixel * 3, pixel * 3 + 3), 17], pixel * 4);
      gray[pixel] = rgb.data[pixel * 3] as number;
    }
    const config = { size: { height: 8, width: 8 }, do_normalize: false };
    const fromRgb = await preprocessImage([rgb], config);
    const fromRgba = await preprocessImage([{ data: rgba, width: 8, height: 8, channels: 4 }], config);
    expect(fromRgba.pixelValues).toEqual(fromRgb.pixelValues);
    const fromGray = await preprocessImage([{ data: gray, width: 8, height: 8, channels: 1 }], config);
    expect(fromGray.dims).toEqual([1, 3, 8, 8]);
    // All three planes carry the gray value.
    expect(fromGray.pixelValues.subarray(64, 128)).toEqual(fromGray.pixelValues.subarray(0, 64));
    expect(fromGray.pixelValues[5]).toBeCloseTo((gray[5] as number) / 255, 6);
  });

  it('takes decoded raw pixels as they are', async () => {
    const image = await decodeImage(picture(4, 2));
    const out = await preprocessImage([image], { do_resize: false, do_rescale: false });
    expect(out.dims).toEqual([1, 3, 2, 4]);
    expect(out.pixelValues[0]).toBe(image.data[0]);
    expect(out.pixelValues[8]).toBe(image.data[1]);
  });

  it('rescales then normalises every byte level in float32 steps, per channel, into CHW planes', async () => {
    // 256 x 1 pixels: pixel x has level x in red, 255 - x in green, (x * 7) % 256 in blue.
    const data = new Uint8Array(256 * 3).map((_, i) => {
      const x = Math.floor(i / 3);
      return [x, 255 - x, (x * 7) % 256][i % 3] as number;
    });
    const config = {
      do_resize: false,
      image_mean: [0.1, 0.2, 0.3],
      image_std: [0.7, 0.8, 0.9],
      do_normalize: true,
    };
    const out = await preprocessImage([{ data, width: 256, height: 1, channels: 3 }], config);
    const expected = new Float32Array(3 * 256);
    for (let x = 0; x < 256; x++)
      for (let channel = 0; channel < 3; channel++) {
        // transformers.js: a float32 array rescaled in place, then normalised in place.
        const rescaled = Math.fround((1 / 255) * (data[x * 3 + channel] as number));
        expected[channel * 256 + x] = (rescaled - config.image_mean[channel]!) / config.image_std[channel]!;
      }
    expect(out.pixelValues).toEqual(expected);
  });

  it('a preprocessor built once gives every call the same values as preprocessImage', async () => {
    const preprocess = imagePreprocessor(CONFIGS.vit);
    const resize = await nodeImageResizer();
    const first = await preprocess([picture()], { resize });
    const again = await preprocess([picture(30, 20), picture()], { resize });
    expect(again.pixelValues.subarray(first.pixelValues.length)).toEqual(first.pixelValues);
    expect(first.pixelValues).toEqual(
      (await preprocessImage([picture()], CONFIGS.vit, { resize })).pixelValues,
    );
    expect(() => imagePreprocessor({ ...CONFIGS.vit, resample: 1 })).toThrow(UnsupportedError);
  });

  it('refuses resample 1 (lanczos) naming the field', async () => {
    const error = await preprocessImage([picture()], { ...CONFIGS.vit, resample: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.param).toBe('resample');
    expect(error.message).toMatch(/resample 1/);
  });

  it('refuses do_thumbnail, size_divisibility and max_height sizes by name', async () => {
    for (const [config, field] of [
      [{ ...CONFIGS.vit, do_thumbnail: true }, 'do_thumbnail'],
      [{ ...CONFIGS.vit, size_divisibility: 32 }, 'size_divisibility'],
      [{ ...CONFIGS.vit, size: { max_height: 32, max_width: 32 } }, 'size'],
    ] as const) {
      const error = await preprocessImage([picture()], config).catch((e) => e);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error.param).toBe(field);
    }
  });

  it('refuses a batch of different sizes without do_pad', async () => {
    const error = await preprocessImage([picture(10, 10), picture(12, 10)], { do_resize: false }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.param).toBe('do_pad');
  });
});
