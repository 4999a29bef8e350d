import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { TextGenerationTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/fixtures/paths.ts';
import { type LoadOptions, loadModel, type OnnxModel } from '../src/index.node.ts';
import { fixture } from './support.ts';

const indexHtml =
  '<!doctype html>\n<html><head><script type="module" src="/main.ts"></script></head></html>\n';

/**
 * A static server over `roots` (URL prefix -> folder) on 127.0.0.1 that records every request with its
 * status. Under `/vite/...` it answers a missing file as Vite's dev server does: 200 text/html, index.html.
 */
async function startStaticServer(roots: Record<string, string>) {
  const requests: { path: string; status: number }[] = [];
  const server: Server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const vite = path.startsWith('/vite/');
    if (vite) path = path.slice('/vite'.length);
    const prefix = Object.keys(roots).find((p) => path.startsWith(`${p}/`));
    const answer = (status: number, type: string, body: Uint8Array | string) => {
      requests.push({ path: vite ? `/vite${path}` : path, status });
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
    };
    const root = prefix === undefined ? undefined : roots[prefix]!;
    const file = root === undefined ? undefined : normalize(join(root, path.slice(prefix!.length)));
    try {
      if (!file || !root || !file.startsWith(root)) throw new Error('outside');
      answer(200, 'application/octet-stream', await readFile(file));
    } catch {
      if (vite) answer(200, 'text/html', indexHtml);
      else answer(404, 'text/plain', 'not found');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** The requests since `from`, sorted by path, as `path status`. */
    since(from: number) {
      return requests
        .slice(from)
        .map((r) => `${r.path} ${r.status}`)
        .sort();
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) {
    await (outcome.value as { dispose?: () => Promise<void> })?.dispose?.();
    throw new Error('expected a rejection, but it resolved');
  }
  return outcome.error as Error & { code?: string };
}

describe('a URL folder fetches only the files its model needs', () => {
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  const options: LoadOptions = { cacheDir: false };
  beforeAll(async () => {
    fixture('tiny-bert'); // generate the fixtures on a fresh clone
    server = await startStaticServer({ '/models': fixturesDir });
  });
  afterAll(() => server?.close());

  async function requestsOf(url: string, more: LoadOptions = {}): Promise<string[]> {
    const from = server.requests.length;
    const model = await loadModel(`${server.url}${url}`, { ...options, ...more });
    await model.dispose();
    return server.since(from);
  }

  it('iris folder: config.json and the model, probing onnx/model.onnx first — no tokenizer or template requests', async () => {
    expect(await requestsOf('/models/iris-classifier/')).toEqual([
      '/models/iris-classifier/config.json 200',
      '/models/iris-classifier/model.onnx 200',
      '/models/iris-classifier/onnx/model.onnx 404',
    ]);
  });

  it('iris folder with a files manifest: exactly the two files, no 404', async () => {
    const files = ['config.json', 'model.onnx'];
    expect(await requestsOf('/models/iris-classifier/', { files })).toEqual([
      '/models/iris-classifier/config.json 200',
      '/models/iris-classifier/model.onnx 200',
    ]);
  });

  it('iris .onnx URL: the model and the config.json beside it, no 404', async () => {
    expect(await requestsOf('/models/iris-classifier/model.onnx')).toEqual([
      '/models/iris-classifier/config.json 200',
      '/models/iris-classifier/model.onnx 200',
    ]);
  });

  it('tiny-bert (embedding): config, model, tokenizer files and the sentence-transformers pooling files, no 404', async () => {
    expect(await requestsOf('/models/tiny-bert/')).toEqual([
      '/models/tiny-bert/1_Pooling/config.json 200',
      '/models/tiny-bert/config.json 200',
      '/models/tiny-bert/modules.json 200',
      '/models/tiny-bert/onnx/model.onnx 200',
      '/models/tiny-bert/tokenizer.json 200',
      '/models/tiny-bert/tokenizer_config.json 200',
    ]);
  });

  it('tiny-gpt (transformers 4 layout): the template comes from tokenizer_config.json, so no chat_template.jinja request', async () => {
    expect(await requestsOf('/models/tiny-gpt/')).toEqual([
      '/models/tiny-gpt/config.json 200',
      '/models/tiny-gpt/generation_config.json 200',
      '/models/tiny-gpt/onnx/model.onnx 200',
      '/models/tiny-gpt/tokenizer.json 200',
      '/models/tiny-gpt/tokenizer_config.json 200',
    ]);
  });

  it('tiny-gpt-t5style (transformers 5 layout): chat_template.jinja, and no special_tokens_map.json request', async () => {
    const files = ['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json'];
    const requests = await requestsOf('/models/tiny-gpt-t5style/', {
      files: [...files, 'generation_config.json', 'chat_template.jinja'],
    });
    expect(requests).toEqual([
      '/models/tiny-gpt-t5style/chat_template.jinja 200',
      '/models/tiny-gpt-t5style/config.json 200',
      '/models/tiny-gpt-t5style/generation_config.json 200',
      '/models/tiny-gpt-t5style/model.onnx 200',
      '/models/tiny-gpt-t5style/tokenizer.json 200',
      '/models/tiny-gpt-t5style/tokenizer_config.json 200',
    ]);
  });

  it('a files manifest without the model file fails naming what it found, probing nothing', async () => {
    const from = server.requests.length;
    const error = await errorOf(
      loadModel(`${server.url}/models/iris-classifier/`, { ...options, files: ['config.json'] }),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/no model file found — expected .*; found no \.onnx files/);
    expect(server.since(from).filter((request) => request.includes('.onnx'))).toEqual([]);
  });

  it('refuses a files manifest for model bytes with InvalidInputError', async () => {
    const bytes = await readFile(fixture('iris-classifier', 'model.onnx'));
    const error = await errorOf(loadModel(new Uint8Array(bytes), { files: ['model.onnx'] }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toMatch(/options\.files: .*the source is model bytes/);
  });

  it('tiny-gpt loaded as text-generation with chatTemplate: false asks for no template file', async () => {
    const requests = await requestsOf('/models/tiny-gpt-t5style/', {
      task: 'text-generation',
      chatTemplate: false,
      files: ['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'],
    });
    expect(requests.some((r) => r.includes('chat_template'))).toBe(false);
  });
});

describe('a dev server that answers missing files with index.html (Vite)', () => {
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  let broken: string;
  beforeAll(async () => {
    // tiny-gpt-t5style without its optional generation_config.json; tiny-bert without its required tokenizer.json.
    broken = await mkdtemp(join(tmpdir(), 'mlkit-onnx-vite-'));
    await cp(fixture('tiny-gpt-t5style'), join(broken, 'gpt'), { recursive: true });
    await rm(join(broken, 'gpt', 'generation_config.json'));
    await cp(fixture('tiny-bert'), join(broken, 'bert'), { recursive: true });
    await rm(join(broken, 'bert', 'tokenizer.json'));
    server = await startStaticServer({ '/models': fixturesDir, '/broken': broken });
  });
  afterAll(async () => {
    await server?.close();
    await rm(broken, { recursive: true, force: true });
  });

  it('an HTML answer for an optional file counts as missing: the model loads, the page is not parsed as JSON', async () => {
    const from = server.requests.length;
    const model = await loadModel(`${server.url}/vite/broken/gpt/`, { cacheDir: false });
    expect(model.task).toBe('text-generation');
    await model.dispose();
    expect(server.since(from)).toContain('/vite/broken/gpt/generation_config.json 200');
  });

  it('the iris folder loads through the dev server, its probe for onnx/model.onnx answered by index.html', async () => {
    const model = await loadModel(`${server.url}/vite/models/iris-classifier/`, { cacheDir: false });
    expect(model.task).toBe('classification');
    await model.dispose();
  });

  it('an HTML answer for the model file names the URL and the dev-server fallback', async () => {
    const error = await errorOf(
      loadModel(`${server.url}/vite/models/no-such-model/model.onnx`, { cacheDir: false }),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toContain(
      `${server.url}/vite/models/no-such-model/model.onnx answered HTML, not an ONNX model — a dev server (Vite) answers missing files with index.html; check the path`,
    );
  });

  it('a folder URL whose every model candidate answers HTML says so', async () => {
    const error = await errorOf(loadModel(`${server.url}/vite/models/no-such-model/`, { cacheDir: false }));
    expect(error.message).toMatch(/no model file found — tried onnx\/model\.onnx, model\.onnx/);
    expect(error.message).toMatch(/answered HTML, not an ONNX model — a dev server \(Vite\)/);
  });

  it('an HTML answer for a required tokenizer.json names the URL and says HTML, not JSON', async () => {
    const error = await errorOf(
      loadModel(`${server.url}/vite/broken/bert/`, { cacheDir: false, task: 'embedding' }),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toContain(
      `${server.url}/vite/broken/bert/tokenizer.json answered HTML, not JSON — a dev server (Vite) answers missing files with index.html; check the path`,
    );
  });
});

describe('missing files are not remembered by the download cache', () => {
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  let folder: string;
  let cacheDir: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'mlkit-onnx-later-'));
    cacheDir = await mkdtemp(join(tmpdir(), 'mlkit-onnx-later-cache-'));
    await cp(fixture('tiny-gpt-t5style'), folder, { recursive: true });
    await rm(join(folder, 'chat_template.jinja'));
    server = await startStaticServer({ '/model': folder });
  });
  afterAll(async () => {
    await server?.close();
    await rm(folder, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('a chat_template.jinja added to the folder after a load that found none is found by the next load', async () => {
    const url = `${server.url}/model/`;
    const messages = [
      { role: 'user' as const, content: 'hi' },
      { role: 'assistant' as const, content: 'hello' },
      { role: 'user' as const, content: 'again' },
    ];
    const first = (await loadModel(url, {
      cacheDir,
      task: 'text-generation',
    })) as OnnxModel<TextGenerationTask>;
    const error = await errorOf(first.run({ messages, maxTokens: 1 }));
    expect(error.message).toMatch(/has no chat template/);
    await first.dispose();

    await writeFile(
      join(folder, 'chat_template.jinja'),
      await readFile(fixture('tiny-gpt-t5style', 'chat_template.jinja')),
    );
    const second = (await loadModel(url, {
      cacheDir,
      task: 'text-generation',
    })) as OnnxModel<TextGenerationTask>;
    const output = await second.run({ messages, maxTokens: 1, temperature: 0 });
    expect(output.usage.outputTokens).toBe(1);
    await second.dispose();
  });
});
