/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core, kept
 * off the network, and vite builds of the pages it opens, served by vite's preview server on 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type InlineConfig, type PreviewServer, preview } from 'vite';

export const chromiumPath = '/usr/bin/chromium';
export const hasChromium: boolean = existsSync(chromiumPath);
/** The describe title's suffix when Chromium is missing, saying how to get it. */
export const noChromium = hasChromium ? '' : ' (skipped: no /usr/bin/chromium; apt-get install chromium)';

/** Flags that keep Chromium off the network: without them it calls Google's hosts at every start. */
export const chromiumArgs: string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** A built page served on 127.0.0.1; `close` stops the server and removes the build. */
export interface ServedPage {
  origin: string;
  close(): Promise<void>;
}

/**
 * Build a vite app (a config file and/or inline config) into a fresh temporary folder and serve it with
 * vite's preview server: each test file builds its own copy, so files running in parallel never share
 * an output folder.
 */
export async function buildAndServe(config: InlineConfig): Promise<ServedPage> {
  const outDir = await mkdtemp(join(tmpdir(), 'mlkit-browser-'));
  const withOutDir: InlineConfig = {
    ...config,
    logLevel: 'warn',
    build: { ...config.build, outDir, emptyOutDir: true },
  };
  let server: PreviewServer | undefined;
  try {
    await build(withOutDir);
    server = await preview({ ...withOutDir, preview: { ...config.preview, host: '127.0.0.1', port: 0 } });
  } catch (error) {
    await rm(outDir, { recursive: true, force: true });
    throw error;
  }
  const { port } = server.httpServer.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

const contentTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.wav': 'audio/wav',
};

/** Answer the page's requests under `${origin}${prefix}` with the files of `dir` (404 for a missing one). */
export async function serveFolder(page: Page, origin: string, prefix: string, dir: string): Promise<void> {
  await page.route(`${origin}${prefix}**`, async (route) => {
    const name = decodeURIComponent(new URL(route.request().url()).pathname.slice(prefix.length));
    const file = join(dir, name);
    if (name.includes('..') || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    await route.fulfill({
      body: await readFile(file),
      contentType: contentTypes[extname(file)] ?? 'application/octet-stream',
    });
  });
}

/** Bytes a page sent back as base64 (the cheap way through page.evaluate's JSON). */
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** Float32 samples a page sent back as base64 of their bytes. */
export const floatsFromBase64 = (text: string): Float32Array => {
  const bytes = fromBase64(text);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

/** The largest |a[i] - b[i]|; the lengths must be equal. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}
