/**
 * Images as one OIP v2 input tensor, both directions, for the vision tasks:
 * - raw pixels: UINT8 [N, H, W, C] (every image the same size and channels; [H, W, C] is one image);
 * - encoded files (PNG, JPEG, WebP...): BYTES [N], one element per image. With the binary tensor
 *   extension an element is the file's bytes, as Triton's image clients send them; in JSON it is the
 *   file as base64 text (JSON strings cannot hold bytes), as KServe's image examples send it. A
 *   server also reads an `http(s):`/`data:` URL in an element; `@mlkit/server` fetches such URLs
 *   only for hosts its `mediaUrls` option allows.
 * The tensor is named `image` unless the model's metadata declares its own input name.
 */
import { UnsupportedError } from '../../errors.ts';
import type { ImageSource, RawImage } from '../../tasks/media.ts';
import type { Tensor } from '../../tasks/tensor.ts';
import { rawElements } from './binary.ts';
import { onlyInput } from './classification.ts';
import type { InferContext } from './context.ts';
import type { NamedTensor, TensorRequest } from './message.ts';
import { invalid } from './tensors.ts';

/** The input name used when the model's metadata declares none. */
export const IMAGE_INPUT = 'image';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let offset = 0; offset < bytes.length; offset += 0x8000)
    text += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  return btoa(text);
}

/** Bytes of base64 text; an InvalidInputError naming `path` when it is not base64. */
export function fromBase64(text: string, path: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1)
    throw invalid(path, 'expected an encoded image as base64 text (or an http(s): or data: URL)');
  const binary = atob(compact);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Bytes of a `data:` URL; undefined for other strings. */
export function dataUrlBytes(url: string, path: string): Uint8Array | undefined {
  const match = /^data:([^,]*),(.*)$/is.exec(url);
  if (!match) return undefined;
  const meta = match[1]!;
  const payload = match[2]!;
  if (/;base64$/i.test(meta)) return fromBase64(payload, path);
  return new TextEncoder().encode(decodeURIComponent(payload));
}

const isRaw = (image: ImageSource): image is RawImage =>
  typeof image === 'object' && image !== null && 'data' in image && 'width' in image;

/** Client: the encoded bytes of one image; URLs other than data: and Blobs are refused by name. */
function encodedBytes(image: ImageSource, index: number): Uint8Array {
  if (image instanceof Uint8Array) return image;
  if (image instanceof ArrayBuffer) return new Uint8Array(image);
  const url = typeof image === 'string' ? image : image instanceof URL ? image.href : undefined;
  if (url !== undefined) {
    const bytes = dataUrlBytes(url, `input.image[${index}]`);
    if (bytes) return bytes;
    throw new UnsupportedError(
      `OIP v2 models take image bytes or pixels, not URLs (input.image[${index}] is ${url.slice(0, 60)}); fetch the image and pass its bytes`,
    );
  }
  // Blobs are read to bytes by the provider before the mapping runs (reading is async).
  throw new UnsupportedError(`input.image[${index}] is a Blob; pass its bytes (await blob.bytes())`);
}

/** Client: the images of a call as the model's image tensor (UINT8 pixels or BYTES files). */
export function imageTensor(images: readonly ImageSource[], context: InferContext): NamedTensor {
  const declared = context.metadata?.inputs?.[0]?.name;
  const name = declared ?? IMAGE_INPUT;
  const raw = images.filter(isRaw);
  if (raw.length === images.length) {
    const [first] = raw as [RawImage];
    raw.forEach((image, index) => {
      if (image.width !== first.width || image.height !== first.height || image.channels !== first.channels) {
        throw invalid(
          `input.image[${index}]`,
          `raw images in one call need the same width, height and channels (the first is ${first.width}x${first.height}x${first.channels}, this one ${image.width}x${image.height}x${image.channels})`,
        );
      }
    });
    const size = first.width * first.height * first.channels;
    const data = new Uint8Array(size * raw.length);
    raw.forEach((image, index) => {
      data.set(image.data, index * size);
    });
    return {
      name,
      tensor: { dtype: 'uint8', shape: [raw.length, first.height, first.width, first.channels], data },
    };
  }
  if (raw.length > 0) {
    throw invalid(
      'input.image',
      'one call sends raw pixels or encoded files, not both; make separate calls for each kind',
    );
  }
  const files = images.map(encodedBytes);
  const data = files.map(toBase64);
  rawElements.set(data, files);
  return { name, tensor: { dtype: 'string', shape: [files.length], data } };
}

/** Server: the images of a request's one input tensor. */
export function imagesOf(body: TensorRequest, what: string): ImageSource[] {
  const tensor: Tensor = onlyInput(body, what);
  const path = 'body.inputs[0]';
  if (tensor.dtype === 'uint8') {
    const shape = tensor.shape.length === 3 ? [1, ...tensor.shape] : tensor.shape;
    const [count, height, width, channels] = shape as [number, number, number, number];
    if (shape.length !== 4 || ![1, 3, 4].includes(channels) || shape.includes(0)) {
      throw invalid(
        `${path}.shape`,
        `expected UINT8 [N, H, W, C] pixels with C 1, 3 or 4 (got [${tensor.shape.join(', ')}])`,
      );
    }
    const size = height * width * channels;
    return Array.from({ length: count }, (_, index) => ({
      data: tensor.data.subarray(index * size, (index + 1) * size),
      width,
      height,
      channels: channels as 1 | 3 | 4,
    }));
  }
  if (tensor.dtype !== 'string') {
    throw invalid(
      `${path}.datatype`,
      `${what} take UINT8 [N, H, W, C] pixels or BYTES [N] encoded images (got ${tensor.dtype})`,
    );
  }
  const raw = rawElements.get(tensor.data);
  return tensor.data.map((element, index) => {
    const at = `${path}.data[${index}]`;
    if (/^(https?|data):/i.test(element.slice(0, 8))) return element;
    return raw?.[index] ?? fromBase64(element, at);
  });
}

/** Server: a numeric request parameter (`top_k`, `threshold`), when given. */
export function numberParameter(body: TensorRequest, name: string): number | undefined {
  const value = body.parameters?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalid(`body.parameters.${name}`, 'expected a number');
  return value;
}
