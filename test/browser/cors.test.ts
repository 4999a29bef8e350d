// CORS from a real browser: a page on one 127.0.0.1 port calls @mlkit/server on another with the
// mlkit client, bundled for browsers. Chromium enforces the preflight and the allow-origin header.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../packages/server/src/index.ts';
import { type Listening, listen } from '../../packages/server/src/node.ts';
import { fakeChatModel, replyOf } from '../../packages/server/test/fakes.ts';
import { chromiumArgs, chromiumPath, hasChromium } from './support/chromium.ts';

const root = join(import.meta.dirname, '..', '..');
const KEY = 'sk-browser-cors-key-123';

/** @mlkit/core for browsers, as one classic script that sets `window.mlkit`. */
async function bundleCore(): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    root,
    resolve: { conditions: ['browser', 'import', 'default'] },
    build: {
      write: false,
      minify: false,
      lib: { entry: join(root, 'src', 'index.ts'), formats: ['iife'], name: 'mlkit', fileName: 'core' },
    },
  })) as Rolldown.RolldownOutput[];
  const chunk = output.flatMap((o) => o.output).find((c) => c.type === 'chunk') as Rolldown.OutputChunk;
  return chunk.code;
}

/** What the page reports for one call: the text, or the error's class name, code and message. */
type Outcome = { text?: string; streamed?: string; error?: { name: string; code: string; message: string } };

describe.skipIf(!hasChromium)(
  `@mlkit/server CORS from headless Chromium${hasChromium ? '' : ' (skipped: no /usr/bin/chromium; apt-get install chromium)'}`,
  () => {
    let pageServer: Server;
    let pageOrigin: string;
    let allowing: Listening;
    let refusing: Listening;
    let browser: Browser | undefined;
    let page: Page;

    beforeAll(async () => {
      const core = await bundleCore();
      pageServer = createHttpServer((request, response) => {
        if (request.url === '/core.js') {
          response.writeHead(200, { 'content-type': 'text/javascript' }).end(core);
        } else {
          response.writeHead(200, { 'content-type': 'text/html' }).end('<script src="/core.js"></script>');
        }
      });
      await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
      pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;

      const models = () => ({ 'tiny-gpt': fakeChatModel().model });
      allowing = await listen(
        createServer({ models: models(), apiKeys: [KEY], cors: { origins: [pageOrigin] } }),
        {
          port: 0,
          host: '127.0.0.1',
        },
      );
      refusing = await listen(
        createServer({ models: models(), apiKeys: [KEY], cors: { origins: ['http://elsewhere.example'] } }),
        { port: 0, host: '127.0.0.1' },
      );

      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
      page = await browser.newPage();
      await page.goto(`${pageOrigin}/`);
      await page.waitForFunction(() => 'mlkit' in window);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await allowing?.close({ graceMs: 1000 });
      await refusing?.close({ graceMs: 1000 });
      await new Promise((resolve) => pageServer?.close(resolve));
    });

    /** Chat once and stream once from the page, through the mlkit client, against `baseURL`. */
    const callFromPage = (baseURL: string): Promise<Outcome> =>
      page.evaluate(
        async ({ baseURL, apiKey }) => {
          const { createOpenAICompatible } = (
            window as unknown as { mlkit: typeof import('../../src/index.ts') }
          ).mlkit;
          const model = createOpenAICompatible({
            name: 'mlkit-server',
            baseURL,
            apiKey,
            dangerouslyAllowBrowser: true,
            maxRetries: 0,
          }).textGeneration('tiny-gpt');
          try {
            const { text } = await model.run({ prompt: 'hello from the page' });
            let streamed = '';
            for await (const chunk of model.stream({ prompt: 'stream to the page' }))
              if (chunk.type === 'text-delta') streamed += chunk.text;
            return { text, streamed };
          } catch (error) {
            const e = error as { name: string; code: string; message: string };
            return { error: { name: e.name, code: e.code, message: e.message } };
          }
        },
        { baseURL, apiKey: KEY },
      );

    it('calls a server on another origin that allows the page, run and stream', async () => {
      expect(new URL(allowing.url).port).not.toBe(new URL(pageOrigin).port);
      expect(await callFromPage(`${allowing.url}/v1`)).toEqual({
        text: replyOf({ prompt: 'hello from the page' }),
        streamed: replyOf({ prompt: 'stream to the page' }),
      });
    });

    it('fails with a typed NetworkError when the server does not allow the page’s origin', async () => {
      const outcome = await callFromPage(`${refusing.url}/v1`);
      expect(outcome.text).toBeUndefined();
      expect(outcome.error).toMatchObject({ name: 'NetworkError', code: 'network' });
    });
  },
);
