import type { RawImage } from '@mlkit/core';

/** PIL's resampling filters as preprocessor_config.json numbers them: 0 nearest, 2 bilinear, 3 bicubic. */
export type Resample = 'nearest' | 'bilinear' | 'bicubic';

/** Resize pixels to exactly `width` x `height` (the Node build uses sharp when installed, else `resizePixels`). */
export type ImageResizer = (
  image: RawImage,
  width: number,
  height: number,
  resample: Resample,
) => Promise<RawImage>;

/** RGB pixels: gray is copied to three channels, alpha dropped (PIL's convert('RGB'), as transformers does). */
export function toRgb(image: RawImage): RawImage {
  if (image.channels === 3) return image;
  const { width, height, channels, data } = image;
  const out = new Uint8Array(width * height * 3);
  for (let pixel = 0; pixel < width * height; pixel++) {
    for (let channel = 0; channel < 3; channel++)
      out[pixel * 3 + channel] = data[pixel * channels + (channels === 1 ? 0 : channel)] as number;
  }
  return { data: out, width, height, channels: 3 };
}

/** Catmull-Rom (a = -0.5), the cubic that PIL and libvips use. */
function cubicWeight(distance: number): number {
  const x = Math.abs(distance);
  if (x < 1) return 1.5 * x ** 3 - 2.5 * x ** 2 + 1;
  if (x < 2) return -0.5 * x ** 3 + 2.5 * x ** 2 - 4 * x + 2;
  return 0;
}

/**
 * Source taps and weights of one output coordinate along one axis, edges clamped. Output pixel x
 * samples input x / scale, as libvips's affine does with transformers.js's matrix (no half-pixel shift).
 */
function taps(output: number, scale: number, size: number, resample: Resample): [number[], number[]] {
  const centre = output / scale;
  const clamp = (index: number) => Math.min(size - 1, Math.max(0, index));
  if (resample === 'nearest') return [[clamp(Math.floor(centre))], [1]];
  const base = Math.floor(centre);
  const fraction = centre - base;
  if (resample === 'bilinear')
    return [
      [clamp(base), clamp(base + 1)],
      [1 - fraction, fraction],
    ];
  const indices = [-1, 0, 1, 2].map((offset) => clamp(base + offset));
  return [indices, [-1, 0, 1, 2].map((offset) => cubicWeight(fraction - offset))];
}

/**
 * Pure-JS resize by point sampling, as transformers.js does it through sharp's affine (no
 * antialiasing when shrinking). Nearest matches sharp exactly; bilinear and bicubic come within one
 * and two levels of it (libvips interpolates in fixed point).
 */
export function resizePixels(image: RawImage, width: number, height: number, resample: Resample): RawImage {
  const { channels, data } = image;
  const columns = Array.from({ length: width }, (_, x) =>
    taps(x, width / image.width, image.width, resample),
  );
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const [rows, rowWeights] = taps(y, height / image.height, image.height, resample);
    for (let x = 0; x < width; x++) {
      const [cols, colWeights] = columns[x] as [number[], number[]];
      for (let channel = 0; channel < channels; channel++) {
        let sum = 0;
        for (let i = 0; i < rows.length; i++) {
          const rowStart = (rows[i] as number) * image.width;
          let rowSum = 0;
          for (let j = 0; j < cols.length; j++)
            rowSum +=
              (colWeights[j] as number) *
              (data[(rowStart + (cols[j] as number)) * channels + channel] as number);
          sum += (rowWeights[i] as number) * rowSum;
        }
        out[(y * width + x) * channels + channel] = Math.min(255, Math.max(0, Math.round(sum)));
      }
    }
  }
  return { data: out, width, height, channels };
}

/**
 * The centre `width` x `height` of an image, padded with black where the image is smaller; offsets
 * rounded down as transformers.js's center_crop does.
 */
export function centerCrop(image: RawImage, width: number, height: number): RawImage {
  if (image.width === width && image.height === height) return image;
  const { channels, data } = image;
  // Per axis: a larger image is cut from floor(offset), a smaller one is placed at floor(-offset).
  const place = (inner: number, outer: number) => {
    const offset = (inner - outer) / 2;
    return offset >= 0 ? Math.floor(offset) : -Math.floor(-offset);
  };
  const left = place(image.width, width);
  const top = place(image.height, height);
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const sourceY = y + top;
    if (sourceY < 0 || sourceY >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const sourceX = x + left;
      if (sourceX < 0 || sourceX >= image.width) continue;
      const from = (sourceY * image.width + sourceX) * channels;
      out.set(data.subarray(from, from + channels), (y * width + x) * channels);
    }
  }
  return { data: out, width, height, channels };
}

/** The pure-JS resizer (browsers, and Node without sharp). */
export const resizeInJs: ImageResizer = async (image, width, height, resample) =>
  resizePixels(image, width, height, resample);
