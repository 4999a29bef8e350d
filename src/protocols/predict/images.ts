/**
 * Images over Hugging Face inference-style JSON endpoints (the HF Inference API, Inference
 * Endpoints' default handlers, and `@mlkit/server`'s `/predict/{name}` for vision models): the
 * image's bytes POSTed raw with its `Content-Type: image/*`, or JSON `{"inputs": "<base64>",
 * "parameters": {...}}`, `inputs` a list for several images.
 */
import * as z from 'zod';
import { InvalidInputError, UnsupportedError } from '../../errors.ts';
import type { ImageSource, RawImage } from '../../tasks/media.ts';

/** The JSON body: one image or several, base64 text (or an http(s):/data: URL), and the task's parameters. */
export const ImageRequest = z.strictObject({
  inputs: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ImageRequest = z.infer<typeof ImageRequest>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 text of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let offset = 0; offset < bytes.length; offset += 0x8000)
    text += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  return btoa(text);
}

function fromBase64(text: string, path: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    const message = 'expected an image as base64 text or an http(s): or data: URL';
    throw new InvalidInputError(`Invalid input — ${path}: ${message}`, { issues: [{ path, message }] });
  }
  const binary = atob(compact);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

const isRaw = (image: ImageSource): image is RawImage =>
  typeof image === 'object' && image !== null && 'data' in image && 'width' in image;

/** Client: one image as the text `inputs` holds: base64 of its bytes, or its URL as it is. */
export function imageText(image: ImageSource, index: number): string {
  if (typeof image === 'string') return image;
  if (image instanceof URL) return image.href;
  if (image instanceof Uint8Array) return toBase64(image);
  if (image instanceof ArrayBuffer) return toBase64(new Uint8Array(image));
  if (isRaw(image)) {
    throw new UnsupportedError(
      `input.image[${index}] is raw pixels; JSON predict endpoints take encoded files (PNG, JPEG) or URLs`,
    );
  }
  throw new UnsupportedError(`input.image[${index}] is a Blob; pass its bytes (await blob.bytes())`);
}

/** Server: the images a JSON body names, base64 text decoded; URLs stay URLs. */
export function imagesOfRequest(body: ImageRequest): ImageSource[] {
  const texts = Array.isArray(body.inputs) ? body.inputs : [body.inputs];
  return texts.map((text, index) =>
    /^(https?|data):/i.test(text.slice(0, 8))
      ? text
      : fromBase64(text, Array.isArray(body.inputs) ? `body.inputs[${index}]` : 'body.inputs'),
  );
}

/** A numeric parameter of the body (`top_k`, `threshold`), checked. */
export function numberParameter(body: ImageRequest, name: string): number | undefined {
  const value = body.parameters?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    const path = `body.parameters.${name}`;
    throw new InvalidInputError(`Invalid input — ${path}: expected a number`, {
      issues: [{ path, message: 'expected a number' }],
    });
  }
  return value;
}

/** What the vision mappings know besides the body. */
export interface ImagePredictContext {
  /** One image: the answer is its list alone (`[{...}]`), not a list of lists. */
  single?: boolean;
  /** Client: the provider's name, for errors. */
  provider?: string;
}
