/** Image inputs read to bytes before a mapping (sync) sees them: a Blob's bytes need an await. */
import type { ImageSource } from '../../tasks/media.ts';

const isBlob = (value: unknown): value is Blob => typeof Blob !== 'undefined' && value instanceof Blob;

/** The input with every Blob image replaced by its bytes. */
export async function readBlobs<I extends { image: ImageSource | ImageSource[] }>(input: I): Promise<I> {
  const images = Array.isArray(input.image) ? input.image : [input.image];
  if (!images.some(isBlob)) return input;
  const read = await Promise.all(
    images.map(async (image) => (isBlob(image) ? new Uint8Array(await image.arrayBuffer()) : image)),
  );
  return { ...input, image: Array.isArray(input.image) ? read : read[0]! };
}
