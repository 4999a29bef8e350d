import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTopK, type PageResults } from '../../examples/browser/src/shared.ts';
import { loadModel } from '../../packages/onnx/src/index.node.ts';
import { ensureFixtures, fixturesDir } from '../fixtures/paths.ts';
import {
  buildAndServe,
  hasChromium,
  launchChromium,
  maxAbsDiff,
  noChromium,
  type ServedPage,
} from './support/chromium.ts';

const configFile = fileURLToPath(new URL('../../examples/browser/vite.config.ts', import.meta.url));
const mediaDir = fileURLToPath(new URL('../fixtures/media/', import.meta.url));
const vitFolder = join(fixturesDir, 'tiny-vit');
const hasVit =
  ['shapes.png', 'stripes.png', 'square.jpg'].every((name) => existsSync(join(mediaDir, name))) &&
  existsSync(join(vitFolder, 'onnx', 'model.onnx'));

/** The top labels @mlkit/onnx gives in Node for one fixture image with the tiny-vit folder. */
async function inNode(image: string) {
  const model = await loadModel(vitFolder, { task: 'image-classification' });
  try {
    const { predictions } = await model.run({
      image: await readFile(join(mediaDir, image)),
      topK: imageTopK,
    });
    return predictions[0]!;
  } finally {
    await model.dispose();
  }
}

/** Same labels in the same order, scores within 1e-3. */
async function expectAsInNode(results: PageResults, image: string): Promise<void> {
  const expected = await inNode(image);
  const got = results.imageClassification!;
  expect(got.image).toBe(image);
  expect(got.predictions.map(({ label }) => label)).toEqual(expected.map(({ label }) => label));
  expect(
    maxAbsDiff(
      got.predictions.map(({ score }) => score),
      expected.map(({ score }) => score),
    ),
  ).toBeLessThan(1e-3);
}

describe.skipIf(!hasChromium || !hasVit)(
  `examples/browser's image-classification panel in headless Chromium${noChromium}${hasVit ? '' : ' (skipped: no tiny-vit folder or test/fixtures/media images)'}`,
  () => {
    let served: ServedPage | undefined;
    let browser: Browser | undefined;
    let page: Page;
    const pageErrors: string[] = [];
    const results = () => page.evaluate(() => window.__mlkit);
    const afterRun = (runs: number) =>
      page.waitForFunction(
        (runs) => (window.__mlkit.imageRuns ?? 0) >= runs || window.__mlkit.imageError,
        runs,
        {
          timeout: 20_000,
        },
      );

    beforeAll(async () => {
      ensureFixtures();
      // Its own build folder: test/browser/browser.test.ts builds the same app at the same time.
      served = await buildAndServe({ configFile });
      browser = await launchChromium();
      page = await browser.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${served.origin}/`);
      await page.waitForFunction(() => window.__mlkit?.status !== 'running', undefined, { timeout: 60_000 });
    });

    afterAll(async () => {
      await browser?.close();
      await served?.close();
    });

    it('classifies the sample image on load and shows its top labels', async () => {
      const { status, error, imageClassification, imageRuns } = await results();
      expect({ status, error, pageErrors }).toEqual({ status: 'done', error: undefined, pageErrors: [] });
      expect(imageRuns).toBe(1);
      expect(imageClassification!.predictions).toHaveLength(imageTopK);
      const text = (await page.textContent('#image-classification'))!.split('\n');
      expect(text).toEqual([
        'shapes.png',
        ...imageClassification!.predictions.map(({ label, score }) => `${label}: ${score.toFixed(4)}`),
      ]);
      expect(await page.getAttribute('#image-preview', 'alt')).toBe('shapes.png');
    });

    it('gives the sample the labels @mlkit/onnx gives it in Node: same order, scores within 1e-3', async () => {
      await expectAsInNode(await results(), 'shapes.png');
    });

    it('classifies an image picked in the file input like Node does', async () => {
      await page.setInputFiles('#image-file', join(mediaDir, 'stripes.png'));
      await afterRun(2);
      const now = await results();
      expect(now.imageError).toBeUndefined();
      await expectAsInNode(now, 'stripes.png');
    });

    it('classifies a JPEG dropped on the panel like Node does', async () => {
      const bytes = Array.from(await readFile(join(mediaDir, 'square.jpg')));
      const transfer = await page.evaluateHandle((bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], 'square.jpg', { type: 'image/jpeg' }));
        return data;
      }, bytes);
      await page.dispatchEvent('#image-drop', 'drop', { dataTransfer: transfer });
      await afterRun(3);
      const now = await results();
      expect(now.imageError).toBeUndefined();
      await expectAsInNode(now, 'square.jpg');
    });

    it('says in the panel why a picked file that is no image cannot be classified', async () => {
      const before = (await results()).imageRuns;
      await page.setInputFiles('#image-file', {
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('not an image'),
      });
      await page.waitForFunction(() => window.__mlkit.imageError !== undefined, undefined, {
        timeout: 20_000,
      });
      const now = await results();
      expect(now.imageError).toMatch(
        /^InvalidInputError: input\.image: Cannot decode the image: got bytes of no known image format/,
      );
      expect(now.imageRuns).toBe(before);
      expect(await page.textContent('#image-classification')).toBe(`notes.txt: ${now.imageError}`);
    });
  },
);
