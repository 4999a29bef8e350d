// Fake local vision models for the server's tests: they read PNG bytes and raw pixels, refuse other
// bytes with InvalidInputError (as a real decoder does), and record what they were given.
import {
  defineModel,
  type ImageSource,
  InvalidInputError,
  imageClassification,
  objectDetection,
} from '@mlkit/core';

const PNG = [0x89, 0x50, 0x4e, 0x47];

/** What an image told the fake: bytes (length) or pixels (size); a URL would be recorded as one. */
function describe(image: ImageSource, index: number): string {
  if (image instanceof Uint8Array) {
    if (!PNG.every((byte, i) => image[i] === byte)) {
      throw new InvalidInputError(
        `input.image[${index}] is not a PNG, JPEG or WebP file; it cannot be decoded`,
        {
          issues: [{ path: `input.image[${index}]`, message: 'cannot be decoded' }],
        },
      );
    }
    return `png-${image.byteLength}`;
  }
  if (typeof image === 'object' && 'width' in image)
    return `pixels-${image.width}x${image.height}x${image.channels}`;
  return `url-${String(image)}`;
}

const list = (image: ImageSource | ImageSource[]) => (Array.isArray(image) ? image : [image]);

/** Image classification: per image its description as the top label (score 0.75), then 'other' (0.25). */
export function fakeClassifier(options: { local?: boolean } = {}) {
  const seen: ImageSource[] = [];
  const model = defineModel({
    id: 'fake:vision',
    task: imageClassification,
    capabilities: { streaming: false, batching: true, local: options.local ?? true },
    async run(input) {
      seen.push(...list(input.image));
      return {
        predictions: list(input.image).map((image, i) =>
          [
            { label: describe(image, i), score: 0.75 },
            { label: 'other', score: 0.25 },
          ].slice(0, input.topK),
        ),
        usage: {},
      };
    },
  });
  return { model, seen };
}

/** Object detection: one box per image (its description as label, score 0.9), none when threshold > 0.9. */
export function fakeDetector() {
  const seen: ImageSource[] = [];
  const model = defineModel({
    id: 'fake:detector',
    task: objectDetection,
    capabilities: { streaming: false, batching: false, local: true },
    async run(input) {
      seen.push(...list(input.image));
      return {
        detections: list(input.image).map((image, i) =>
          input.threshold > 0.9
            ? []
            : [{ label: describe(image, i), score: 0.9, box: { xmin: 1, ymin: 2, xmax: 3, ymax: 4 } }],
        ),
        usage: {},
      };
    },
  });
  return { model, seen };
}

/** Bytes that start like a PNG file (enough for the fakes). */
export const png = (size = 12) => {
  const bytes = new Uint8Array(size);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return bytes;
};
