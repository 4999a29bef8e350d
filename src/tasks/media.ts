import * as z from 'zod/mini';

// The image and audio inputs of the vision and speech tasks, the same for every implementation:
// hosted models send encoded bytes (or a URL) on the wire, local models decode them (web APIs in
// browsers, libraries in Node), and raw pixels / PCM samples skip decoding altogether.

const URL_PROTOCOL = /^(https?|data):$/;

/** An `https:`/`http:`/`data:` URL, as a string or URL; other protocols (file:, blob:) are refused by name. */
const MediaUrl = z.union([z.string().check(z.minLength(1)), z.instanceof(URL)]).check(
  z.superRefine((value, context) => {
    let protocol: string;
    try {
      protocol = (value instanceof URL ? value : new URL(value)).protocol;
    } catch {
      context.addIssue({ code: 'custom', message: 'expected an http(s): or data: URL' });
      return;
    }
    if (!URL_PROTOCOL.test(protocol))
      context.addIssue({
        code: 'custom',
        message: `expected an http(s): or data: URL (got a ${protocol} URL); pass the file's bytes instead`,
      });
  }),
);

/** Encoded file bytes: PNG/JPEG/WebP for images, WAV (and what the platform decodes) for audio. */
const EncodedBytes = z.union([
  z.custom<Uint8Array<ArrayBufferLike>>((value) => value instanceof Uint8Array, 'expected a Uint8Array'),
  z.instanceof(ArrayBuffer),
  // Browser File/Blob from an <input type=file> (Blob is global in Node 18+, browsers, Deno, Bun).
  z.custom<Blob>((value) => typeof Blob !== 'undefined' && value instanceof Blob, 'expected a Blob'),
]);

const dimension = z.int().check(z.positive());

/** Schema of decoded pixels: row-major, `channels` interleaved bytes per pixel (1 gray, 3 RGB, 4 RGBA). */
export const RawImage = z
  .strictObject({
    // Any backing buffer (a decoder's pooled buffer, a SharedArrayBuffer), not only ArrayBuffer.
    data: z.custom<Uint8Array<ArrayBufferLike> | Uint8ClampedArray<ArrayBufferLike>>(
      (value) => value instanceof Uint8Array || value instanceof Uint8ClampedArray,
      'expected a Uint8Array or Uint8ClampedArray of pixel bytes',
    ),
    width: dimension,
    height: dimension,
    channels: z.union([z.literal(1), z.literal(3), z.literal(4)]),
  })
  .check(
    z.superRefine((image, context) => {
      const expected = image.width * image.height * image.channels;
      if (image.data.length !== expected)
        context.addIssue({
          code: 'custom',
          path: ['data'],
          message: `expected width * height * channels = ${expected} bytes (got ${image.data.length})`,
        });
    }),
  );
/** Decoded pixels: `{ data, width, height, channels }`, row-major, channels interleaved. */
export type RawImage = z.infer<typeof RawImage>;

/** Schema of one image: a URL, encoded bytes (PNG, JPEG, WebP...), or raw pixels. */
export const ImageSource = z.union([MediaUrl, EncodedBytes, RawImage]);
/** One image: an http(s)/data URL, encoded bytes (Uint8Array, ArrayBuffer, Blob), or `RawImage` pixels. */
export type ImageSource = z.infer<typeof ImageSource>;

/** Schema of PCM audio: samples in [-1, 1] (mono, or channels interleaved) at `sampleRate` Hz. */
export const PcmAudio = z.strictObject({
  pcm: z.custom<Float32Array<ArrayBufferLike>>(
    (value) => value instanceof Float32Array,
    'expected a Float32Array of samples',
  ),
  sampleRate: z.int().check(z.positive()),
  /** Interleaved channels in `pcm`; 1 when omitted. */
  channels: z.optional(z.int().check(z.positive())),
});
/** PCM audio: `{ pcm: Float32Array, sampleRate, channels? }`. */
export type PcmAudio = z.infer<typeof PcmAudio>;

/** Schema of one audio input: a URL, encoded bytes (WAV, and what the platform decodes), or PCM samples. */
export const AudioSource = z.union([MediaUrl, EncodedBytes, PcmAudio]);
/** One audio input: an http(s)/data URL, encoded bytes (Uint8Array, ArrayBuffer, Blob), or `PcmAudio`. */
export type AudioSource = z.infer<typeof AudioSource>;

/** Schema of a box in pixels of the original image. */
export const BoundingBox = z.object({
  xmin: z.number(),
  ymin: z.number(),
  xmax: z.number(),
  ymax: z.number(),
});
/** A box in pixels of the original image: `{ xmin, ymin, xmax, ymax }`. */
export type BoundingBox = z.infer<typeof BoundingBox>;
