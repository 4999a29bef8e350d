import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisRows, type PageResults, texts, wasmThreads } from '../../examples/browser/src/shared.ts';
import { loadModel } from '../../packages/onnx/src/index.node.ts';
import { ensureFixtures, fixturePath } from '../fixtures/paths.ts';
import { chromiumArgs, chromiumPath, hasChromium } from './support/chromium.ts';

const configFile = fileURLToPath(new URL('../../examples/browser/vite.config.ts', import.meta.url));

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Array.from(a).reduce((max, x, i) => Math.max(max, Math.abs(x - b[i]!)), 0);
};

describe.skipIf(!hasChromium)(
  `examples/browser in headless Chromium${hasChromium ? '' : ' (skipped: no /usr/bin/chromium; apt-get install chromium)'}`,
  () => {
    let server: PreviewServer | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let origin: string;
    let results: PageResults;
    const requests: { url: string; status?: number }[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      ensureFixtures();
      await build({ configFile, logLevel: 'warn' });
      server = await preview({ configFile, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0 } });
      const { port } = server.httpServer.address() as AddressInfo;
      origin = `http://127.0.0.1:${port}`;

      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
      const context = await browser.newContext();
      context.on('request', (request) => requests.push({ url: request.url() }));
      context.on('response', (response) => {
        const entry = requests.findLast((r) => r.url === response.url() && r.status === undefined);
        if (entry) entry.status = response.status();
      });
      page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => window.__mlkit?.status !== 'running', undefined, { timeout: 40_000 });
      results = await page.evaluate(() => window.__mlkit);
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('finishes with #status "done" and shows both results in the page', async () => {
      expect({ status: results.status, error: results.error, pageErrors }).toEqual({
        status: 'done',
        error: undefined,
        pageErrors: [],
      });
      expect(await page.textContent('#status')).toBe('done');
      expect(JSON.parse((await page.textContent('#classification'))!)).toEqual(
        results.classification!.predictions,
      );
      expect(await page.textContent('#embedding')).toContain('32 dims, norm 1.0000');
      expect(await page.textContent('#device')).toMatch(/^(wasm|webgpu) \(auto: /);
    });

    it('chooses its device with auto and says why', () => {
      for (const report of [results.classification!, results.embedding!]) {
        expect(['wasm', 'webgpu']).toContain(report.device);
        expect(report.deviceReason).toMatch(
          report.device === 'wasm' ? /^auto: WASM because / : /^auto: a WebGPU adapter is available/,
        );
      }
    });

    it('classifies the iris rows like the same model in Node: equal labels, probabilities within 1e-4', async () => {
      const model = await loadModel(fixturePath('iris-classifier'), { task: 'classification' });
      const { predictions } = await model.run({ rows: irisRows });
      await model.dispose();
      const inBrowser = results.classification!.predictions;
      expect(inBrowser.map((p) => p.label)).toEqual(predictions.map((p) => p.label));
      expect(new Set(inBrowser.map((p) => p.label)).size).toBeGreaterThan(1);
      for (const [i, p] of predictions.entries()) {
        const labels = Object.keys(p.scores);
        expect(Object.keys(inBrowser[i]!.scores)).toEqual(labels);
        const browserScores = labels.map((label) => inBrowser[i]!.scores[label]!);
        expect(maxAbsDiff(browserScores, Object.values(p.scores))).toBeLessThan(1e-4);
      }
    });

    it('embeds the texts like the same model in Node: vectors within 1e-4', async () => {
      const model = await loadModel(fixturePath('tiny-bert'), { task: 'embedding' });
      const { embeddings, dimensions } = await model.run({ texts });
      await model.dispose();
      const inBrowser = results.embedding!;
      expect(inBrowser.dimensions).toBe(dimensions);
      expect(inBrowser.embeddings).toHaveLength(texts.length);
      for (const [i, vector] of embeddings.entries()) {
        expect(maxAbsDiff(inBrowser.embeddings[i]!, vector)).toBeLessThan(1e-4);
        expect(inBrowser.norms[i]).toBeCloseTo(1, 4);
      }
    });

    it('is cross-origin isolated by the COOP/COEP headers of vite.config.ts, so WASM runs the threads it asked for', () => {
      expect(results.crossOriginIsolated).toBe(true);
      expect(results.wasmThreads).toBe(wasmThreads);
    });

    it('loads the iris folder with exactly its two files and no request of the page fails (no 4xx)', () => {
      const iris = requests.filter(({ url }) => url.startsWith(`${origin}/models/iris-classifier/`));
      expect(iris.map(({ url }) => url.slice(origin.length)).sort()).toEqual([
        '/models/iris-classifier/config.json',
        '/models/iris-classifier/model.onnx',
      ]);
      expect(requests.filter(({ status }) => status === undefined || status >= 400)).toEqual([]);
    });

    it('fetches the onnxruntime .mjs/.wasm and the models from the app itself, and nothing off 127.0.0.1', () => {
      for (const file of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']) {
        expect(requests).toContainEqual({ url: `${origin}/ort/${file}`, status: 200 });
      }
      expect(requests).toContainEqual({ url: `${origin}/models/iris-classifier/model.onnx`, status: 200 });
      expect(requests).toContainEqual({ url: `${origin}/models/tiny-bert/onnx/model.onnx`, status: 200 });
      const offHost = requests.filter(
        ({ url }) => !/^(data|blob):/.test(url) && new URL(url).hostname !== '127.0.0.1',
      );
      expect(offHost).toEqual([]);
    });
  },
);
