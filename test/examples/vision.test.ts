// examples/vision/main.ts as a user runs it: classify and detect on one image, hosted or local, boxes saved as a PNG.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot } from '../fixtures/paths.ts';
import { type ExampleRun, runExample } from './run-example.ts';

// What the example promises its caller, restated here so that a looser result in the example fails this test.
const LabelScore = z.strictObject({ label: z.string().min(1), score: z.number().min(0).max(1) });
const Box = z.strictObject({ xmin: z.number(), ymin: z.number(), xmax: z.number(), ymax: z.number() });
const VisionResult = z.strictObject({
  config: z.enum(['hosted', 'local']),
  models: z.strictObject({ classification: z.string(), detection: z.string() }),
  image: z.strictObject({
    path: z.string(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  }),
  predictions: z.array(LabelScore).length(3),
  detections: z.array(
    z.strictObject({ label: z.string().min(1), score: z.number().min(0.25).max(1), box: Box }),
  ),
  output: z.strictObject({ path: z.string().endsWith('.png'), boxes: z.number().int().min(1).max(5) }),
});
type VisionResult = z.infer<typeof VisionResult>;

/** Every key path of a JSON value with the type at its end: the value's shape. */
function shapeOf(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((item) => shapeOf(item, `${path}[]`)))];
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => shapeOf(inner, path ? `${path}.${key}` : key));
  }
  return [`${path}: ${value === null ? 'null' : typeof value}`];
}

const input = PNG.sync.read(readFileSync(join(repoRoot, 'test', 'fixtures', 'media', 'shapes.png')));

describe('examples/vision: classify and detect on one image, hosted or local by configuration', () => {
  let output: string;
  let example: ExampleRun;
  let lines: unknown[];

  beforeAll(async () => {
    output = mkdtempSync(join(tmpdir(), 'mlkit-vision-test-'));
    example = await runExample('vision', {
      MLKIT_VISION_MODEL: undefined,
      MLKIT_DETECTION_MODEL: undefined,
      MLKIT_VISION_OUTPUT: output,
    });
    lines = example.stdout
      .split('\n')
      .filter((line) => line.startsWith('RESULT '))
      .map((line) => JSON.parse(line.slice('RESULT '.length)));
  }, 90_000);
  afterAll(() => rmSync(output, { recursive: true, force: true }));

  const results = () => lines.map((line) => VisionResult.parse(line));

  it('exits 0 and prints one RESULT line per configuration, hosted then local, each valid', () => {
    expect(example.code, example.stderr).toBe(0);
    for (const line of lines) {
      const check = VisionResult.safeParse(line);
      expect(check.success, JSON.stringify(check.error?.issues)).toBe(true);
    }
    expect(results().map((r) => r.config)).toEqual(['hosted', 'local']);
  });

  it('differs only in the model strings: oip: against the server, onnx: locally', () => {
    const [hosted, local] = results() as [VisionResult, VisionResult];
    expect(hosted.models.classification).toMatch(/^oip:http:\/\/127\.0\.0\.1:\d+\/tiny-vit$/);
    expect(hosted.models.detection).toMatch(/^oip:http:\/\/127\.0\.0\.1:\d+\/tiny-yolo$/);
    expect(local.models).toEqual({
      classification: expect.stringMatching(/^onnx:.*tiny-vit$/),
      detection: expect.stringMatching(/^onnx:.*tiny-yolo$/),
    });
  });

  it('prints results of the same shape for both configurations', () => {
    const [hosted, local] = results() as [VisionResult, VisionResult];
    expect(shapeOf(local)).toEqual(shapeOf(hosted));
  });

  it('gives the same top labels and the same boxes (within 1e-3 px) hosted as locally', () => {
    const [hosted, local] = results() as [VisionResult, VisionResult];
    expect(local.predictions.map((p) => p.label)).toEqual(hosted.predictions.map((p) => p.label));
    for (const [i, p] of hosted.predictions.entries())
      expect(local.predictions[i]!.score).toBeCloseTo(p.score, 5);
    expect(local.detections.map((d) => d.label)).toEqual(hosted.detections.map((d) => d.label));
    for (const [i, { box, score }] of hosted.detections.entries()) {
      const other = local.detections[i]!;
      expect(other.score).toBeCloseTo(score, 5);
      for (const side of ['xmin', 'ymin', 'xmax', 'ymax'] as const) {
        expect(Math.abs(other.box[side] - box[side]), `detection ${i} ${side}`).toBeLessThan(1e-3);
      }
    }
  });

  it('saves a PNG of the input size for each configuration, in the folder MLKIT_VISION_OUTPUT names', () => {
    for (const result of results()) {
      expect(result.output.path.startsWith(output)).toBe(true);
      expect(existsSync(result.output.path)).toBe(true);
      const saved = PNG.sync.read(readFileSync(result.output.path));
      expect([saved.width, saved.height]).toEqual([input.width, input.height]);
      expect([result.image.width, result.image.height]).toEqual([input.width, input.height]);
    }
  });

  it('changes the image only on the edges of the drawn boxes, and on every drawn box', () => {
    for (const result of results()) {
      const saved = PNG.sync.read(readFileSync(result.output.path));
      const drawn = result.detections.slice(0, result.output.boxes);
      const changed = (x: number, y: number) => {
        const at = (y * input.width + x) * 4;
        return [0, 1, 2, 3].some((c) => saved.data[at + c] !== input.data[at + c]);
      };
      // Within 1 px of a box's edge (rounded and clipped to the image); not deeper inside, not outside.
      const onEdge = (x: number, y: number) =>
        drawn.some(({ box }) => {
          const inside = (lo: number, hi: number, v: number) => v >= lo - 1 && v <= hi + 1;
          const near = (edge: number, v: number) => Math.abs(v - edge) <= 1;
          const [x0, x1] = [Math.max(box.xmin, 0), Math.min(box.xmax, input.width - 1)];
          const [y0, y1] = [Math.max(box.ymin, 0), Math.min(box.ymax, input.height - 1)];
          if (!inside(x0, x1, x) || !inside(y0, y1, y)) return false;
          return near(x0, x) || near(x1, x) || near(y0, y) || near(y1, y);
        });
      let count = 0;
      for (let y = 0; y < input.height; y++) {
        for (let x = 0; x < input.width; x++) {
          if (!changed(x, y)) continue;
          count++;
          expect(onEdge(x, y), `${result.config}: pixel (${x}, ${y}) changed off every box edge`).toBe(true);
        }
      }
      expect(count).toBeGreaterThan(0);
      for (const { box } of drawn) {
        const [cx, cy] = [Math.round(Math.max(box.xmin, 0)), Math.round((box.ymin + box.ymax) / 2)];
        const y = Math.min(Math.max(cy, 0), input.height - 1);
        expect(
          [-1, 0, 1].some((dx) => cx + dx >= 0 && cx + dx < input.width && changed(cx + dx, y)),
          `${result.config}: nothing drawn on the left edge of ${JSON.stringify(box)}`,
        ).toBe(true);
      }
    }
  });

  it('refuses a configuration that names only one of the two models, before loading either', async () => {
    const half = await runExample('vision', {
      MLKIT_VISION_MODEL: 'oip:http://127.0.0.1:9/vit',
      MLKIT_DETECTION_MODEL: undefined,
    });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('InvalidInputError: set both MLKIT_VISION_MODEL and MLKIT_DETECTION_MODEL');
  });

  it('never prints the generated API key', () => {
    expect(example.stdout).toContain('[hosted] MLKIT_API_KEY=(set, not shown)');
    expect(`${example.stdout}${example.stderr}`).not.toMatch(/sk-demo-[0-9a-f]/);
  });
});
