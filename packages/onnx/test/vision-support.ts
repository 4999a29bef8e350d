import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, repoRoot } from '../../../test/fixtures/paths.ts';

// The committed vision fixtures (scripts/fixtures/export.py: torch + transformers + optimum) and
// the references that script computed in Python.

/** The vision fixture folders. */
export type VisionFixture = 'tiny-vit' | 'tiny-convnext' | 'tiny-detr' | 'tiny-yolo';

/** Absolute path of a vision fixture folder. */
export const visionFixture = (name: VisionFixture): string => join(fixturesDir, name);

/** The sample images every vision fixture was run on in Python. */
export const SAMPLE_IMAGES = [
  'shapes.png',
  'shapes.jpg',
  'shapes.webp',
  'stripes.png',
  'stripes.jpg',
  'stripes.webp',
] as const;

/** Encoded bytes of one sample image. */
export const sampleImage = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(join(repoRoot, 'test', 'fixtures', 'media', name)));

/** Absolute path of one sample image. */
export const sampleImagePath = (name: string): string => join(repoRoot, 'test', 'fixtures', 'media', name);

interface ReferenceBox {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}
/** What the export script wrote to test/fixtures/reference/vision-speech.json for one fixture and image. */
export interface VisionReference {
  top5?: { label: string; score: number }[];
  detections?: { label: string; score: number; box: ReferenceBox }[];
}

/** The Python reference of one fixture on one image, and the fixture's own settings (threshold...). */
export function visionReference(name: VisionFixture): Record<string, VisionReference> & {
  threshold?: number;
  conf_threshold?: number;
  iou_threshold?: number;
} {
  const all = JSON.parse(
    readFileSync(join(repoRoot, 'test', 'fixtures', 'reference', 'vision-speech.json'), 'utf8'),
  );
  return all[name];
}
