// The code-split browser bundle (issue 11) in a real browser: support/split-app.ts bundled by esbuild with
// --splitting as size-limit measures it, served from 127.0.0.1, calling @mlkit/server on another port.
// Checks that each kind of call works from its chunks and loads only the chunks it needs: a plain chat
// call nothing beyond the first ones, a stream the SSE decoder, a json answer or embeddings lazy.ts's chunk.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../packages/server/src/index.ts';
import { type Listening, listen } from '../../packages/server/src/node.ts';
import { embeddingOf, fakeChatModel, fakeEmbeddingModel, replyOf } from '../../packages/server/test/fakes.ts';
import { defineModel, textGeneration } from '../../src/index.ts';
import { launchChromium, maxAbsDiff, noChromium } from './support/chromium.ts';
import type { SplitApp } from './support/split-app.ts';

const KEY = 'sk-split-bundle-key-123';

/** A chat model that answers every prompt with the same JSON document (and says it keeps to json schemas). */
const jsonModel = defineModel({
  id: 'fake:json',
  task: textGeneration,
  capabilities: { streaming: false, batching: false, local: true, jsonSchema: true },
  async run() {
    return {
      text: JSON.stringify({ city: 'Paris', population: 2102650 }),
      finishReason: 'stop' as const,
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    };
  },
});

/** esbuild's chunks of the app, by URL path; the entry is /split-app.js. */
async function bundleApp(): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: [join(import.meta.dirname, 'support', 'split-app.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    splitting: true,
    outdir: '/split',
    write: false,
    logLevel: 'silent',
    tsconfigRaw: {},
  });
  return new Map(result.outputFiles.map((file) => [`/${basename(file.path)}`, file.text]));
}

describe.skipIf(noChromium !== '')(`the code-split core bundle in headless Chromium${noChromium}`, () => {
  let chunks: Map<string, string>;
  let pageServer: Server;
  let mlkitServer: Listening;
  let browser: Browser | undefined;
  let page: Page;
  /** The chunk files the page has fetched so far, in order. */
  const fetched: string[] = [];
  /** Chunks whose name says what they are: lazy.ts's and sse.ts's (esbuild names them after the module). */
  const lazyChunk = () => [...chunks.keys()].find((path) => path.startsWith('/lazy-'))!;
  const sseChunk = () => [...chunks.keys()].find((path) => path.startsWith('/sse-'))!;

  beforeAll(async () => {
    chunks = await bundleApp();
    pageServer = createHttpServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://page').pathname;
      const code = chunks.get(path);
      if (code !== undefined) {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
      } else {
        response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><script type="module" src="/split-app.js"></script>');
      }
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    const pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    mlkitServer = await listen(
      createServer({
        models: { chat: fakeChatModel().model, json: jsonModel, embed: fakeEmbeddingModel().model },
        apiKeys: [KEY],
        cors: { origins: [pageOrigin] },
      }),
      { port: 0, host: '127.0.0.1' },
    );
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === pageOrigin && chunks.has(url.pathname)) fetched.push(url.pathname);
    });
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'splitApp' in window);
    await page.evaluate(
      (settings) => {
        (window as unknown as { splitSettings: unknown }).splitSettings = settings;
      },
      { baseURL: `${mlkitServer.url}/v1`, apiKey: KEY },
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await mlkitServer?.close({ graceMs: 1000 });
    await new Promise((resolve) => pageServer?.close(resolve));
  });

  /** One call of the page's app: its value, or the class name, code and message of the error it ends with. */
  const call = <K extends keyof SplitApp>(
    name: K,
    ...args: Parameters<SplitApp[K]>
  ): Promise<{
    value?: Awaited<ReturnType<SplitApp[K]>>;
    error?: { name: string; code: string; message: string };
  }> =>
    page.evaluate(
      async ([name, args]) => {
        const app = (window as unknown as { splitApp: Record<string, (...a: unknown[]) => Promise<unknown>> })
          .splitApp;
        try {
          return { value: await app[name]!(...args) };
        } catch (error) {
          const { name, code, message } = error as { name: string; code: string; message: string };
          return { error: { name, code, message } };
        }
      },
      [name, args] as [string, unknown[]],
    ) as never;

  it('has its lazy chunks, and loads none of them with the page', () => {
    expect(lazyChunk()).toBeDefined();
    expect(sseChunk()).toBeDefined();
    expect(fetched[0]).toBe('/split-app.js');
    expect(fetched).not.toContain(lazyChunk());
    expect(fetched).not.toContain(sseChunk());
  });

  it('makes a plain chat call without loading a lazy chunk', async () => {
    expect(await call('chat', 'hi')).toEqual({ value: replyOf({ prompt: 'hi' }) });
    expect(fetched).not.toContain(lazyChunk());
    expect(fetched).not.toContain(sseChunk());
  });

  it('streams with the SSE decoder loaded at the first stream, and nothing else', async () => {
    expect(await call('stream', 'stream this')).toEqual({ value: replyOf({ prompt: 'stream this' }) });
    expect(fetched.filter((path) => path === sseChunk())).toHaveLength(1);
    expect(fetched).not.toContain(lazyChunk());
  });

  it('checks a json answer against its schema with lazy.ts loaded at that call', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
    };
    expect(await call('json', 'the largest city', schema)).toEqual({
      value: { city: 'Paris', population: 2102650 },
    });
    expect(fetched.filter((path) => path === lazyChunk())).toHaveLength(1);
  });

  it('embeds from the same chunk, fetched once, equal to the server model within 1e-6', async () => {
    const texts = ['first text', 'second text'];
    const vectors = (await call('embed', texts)).value!;
    expect(vectors).toHaveLength(2);
    for (const [i, text] of texts.entries()) {
      const expected = embeddingOf(text);
      expect(vectors[i]).toHaveLength(expected.length);
      expect(maxAbsDiff(vectors[i]!, expected)).toBeLessThan(1e-6);
    }
    expect(fetched.filter((path) => path === lazyChunk())).toHaveLength(1);
  });

  it('says what to fix about bad embedding input, from the lazy chunk, as in Node', async () => {
    const failure = await call('embed', []);
    expect(failure.error).toMatchObject({ name: 'InvalidInputError', code: 'invalid_input' });
    expect(failure.error!.message).toMatch(/texts/);
  });
});
