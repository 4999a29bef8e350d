import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { EmbeddingTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/fixtures/paths.ts';
import { type LoadOptions, loadModel, type OnnxModel, type ProgressEvent } from '../src/index.node.ts';
import { recordSessions } from './ort-spy.ts';
import { fixture, maxAbsDiff } from './support.ts';

const irisInput = {
  inputs: {
    float_input: { dtype: 'float32' as const, shape: [1, 4], data: Float32Array.of(5.1, 3.5, 1.4, 0.2) },
  },
};

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

/**
 * A static file server over the fixture folder on 127.0.0.1 that writes bodies in 16 KiB pieces with a
 * content-length, counts requests, and answers `/held/...` with the first half of the file only (the
 * rest never comes), so a download can be caught half way.
 */
async function startFixtureServer() {
  const hits: string[] = [];
  const closed: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hits.push(path);
    res.on('close', () => closed.push(path));
    if (path.startsWith('/fail/')) {
      res.writeHead(500).end('boom');
      return;
    }
    const held = path.startsWith('/held/');
    const file = normalize(join(fixturesDir, held ? path.slice('/held'.length) : path));
    if (!file.startsWith(fixturesDir)) return void res.writeHead(403).end();
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
    const end = held && file.endsWith('.onnx') ? bytes.byteLength >> 1 : bytes.byteLength;
    for (let offset = 0; offset < end; offset += 16_384) {
      if (res.destroyed) return;
      if (!res.write(bytes.subarray(offset, Math.min(end, offset + 16_384)))) await once(res, 'drain');
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (end === bytes.byteLength) res.end(); // a held file stays open until the client goes away
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    closed,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Progress events grouped by file, in arrival order. */
function byFile(events: ProgressEvent[]): Map<string, ProgressEvent[]> {
  const files = new Map<string, ProgressEvent[]>();
  for (const event of events) files.set(event.file, [...(files.get(event.file) ?? []), event]);
  return files;
}

describe('loading from a URL over HTTP', () => {
  let server: Awaited<ReturnType<typeof startFixtureServer>>;
  let cacheDir: string;
  let local: OnnxModel<EmbeddingTask>;
  const texts = ['hello world', 'the quick brown fox'];
  beforeAll(async () => {
    fixture('tiny-bert'); // generate the fixtures on a fresh clone
    server = await startFixtureServer();
    cacheDir = await mkdtemp(join(tmpdir(), 'mlkit-onnx-cache-'));
    local = await loadModel(fixture('tiny-bert'), { task: 'embedding' });
  });
  afterAll(async () => {
    await local?.dispose();
    await server?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('downloads a model folder with progress events {file, loaded, total} that climb to total', async () => {
    const events: ProgressEvent[] = [];
    const model = await loadModel(`${server.url}/tiny-bert/`, {
      cacheDir,
      onProgress: (event) => events.push(event),
    });
    try {
      expect(model.task).toBe('embedding');
      expect(model.id).toBe(`onnx:${server.url}/tiny-bert/`);
      const files = byFile(events);
      expect([...files.keys()]).toEqual(
        expect.arrayContaining(['config.json', 'tokenizer.json', 'onnx/model.onnx', '1_Pooling/config.json']),
      );
      for (const [file, seen] of files) {
        const size = (await stat(fixture('tiny-bert', file))).size;
        for (const event of seen) expect(event.total, file).toBe(size);
        for (let i = 1; i < seen.length; i++)
          expect(seen[i]!.loaded).toBeGreaterThanOrEqual(seen[i - 1]!.loaded);
        expect(seen.at(-1)!.loaded, file).toBe(size);
      }
      // The 129 kB model comes in 16 kB pieces: progress in between, not just start and end.
      expect(files.get('onnx/model.onnx')!.length).toBeGreaterThan(3);
      // Files the folder does not have (404) are skipped without events.
      expect(files.has('generation_config.json')).toBe(false);

      const remote = await (model as OnnxModel<EmbeddingTask>).run({ texts });
      const reference = await local.run({ texts });
      for (let i = 0; i < texts.length; i++) {
        expect(maxAbsDiff(remote.embeddings[i]!, reference.embeddings[i]!)).toBeLessThan(1e-6);
      }
    } finally {
      await model.dispose();
    }
  });

  it('loads a second time from cacheDir without a single HTTP request, still reporting progress', async () => {
    const before = server.hits.length;
    const events: ProgressEvent[] = [];
    const model = await loadModel(`${server.url}/tiny-bert/`, {
      task: 'embedding',
      cacheDir,
      onProgress: (event) => events.push(event),
    });
    try {
      expect(server.hits.length - before).toBe(0);
      const model_ = byFile(events).get('onnx/model.onnx')!;
      const size = (await stat(fixture('tiny-bert', 'onnx', 'model.onnx'))).size;
      expect(model_.at(-1)).toEqual({ file: 'onnx/model.onnx', loaded: size, total: size });
      const cached = await model.run({ texts });
      const reference = await local.run({ texts });
      expect(maxAbsDiff(cached.embeddings[0]!, reference.embeddings[0]!)).toBeLessThan(1e-6);
    } finally {
      await model.dispose();
    }
  });

  it('downloads again with cacheDir: false', async () => {
    const before = server.hits.length;
    const model = await loadModel(`${server.url}/tiny-bert/`, { task: 'embedding', cacheDir: false });
    await model.dispose();
    expect(server.hits.slice(before)).toContain('/tiny-bert/onnx/model.onnx');
  });

  it('loads an .onnx URL (a URL object too) with config.json from its folder', async () => {
    const model = await loadModel(new URL(`${server.url}/iris-classifier/model.onnx`), { cacheDir: false });
    try {
      expect(model.task).toBe('classification');
      expect(model.describe().modelFile).toBe('model.onnx');
      if (model.task !== 'classification') return;
      const { predictions } = await model.run({ rows: [[5.1, 3.5, 1.4, 0.2]] });
      expect(predictions[0]!.label).toBe('setosa'); // from config.json id2label
    } finally {
      await model.dispose();
    }
  });

  it('fails with a ModelLoadError naming the HTTP status when the server errors', async () => {
    const error = await errorOf(loadModel(`${server.url}/fail/model.onnx`, { cacheDir: false }));
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/Cannot download http:\/\/127\.0\.0\.1:\d+\/fail\/.* HTTP 500/);
  });

  it('fails with a ModelLoadError listing the files it tried for a folder URL with no model', async () => {
    const error = await errorOf(loadModel(`${server.url}/no-such-model/`, { cacheDir: false }));
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/no model file found — tried onnx\/model\.onnx, model\.onnx/);
  });

  it('rejects with AbortError when the signal fires mid-download, closes the connection and caches nothing', async () => {
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const heldCache = await mkdtemp(join(tmpdir(), 'mlkit-onnx-held-'));
    try {
      const error = await errorOf(
        loadModel(`${server.url}/held/iris-classifier/model.onnx`, {
          task: 'tensor',
          cacheDir: heldCache,
          signal: controller.signal,
          onProgress: (event) => {
            events.push(event);
            if (event.file === 'model.onnx' && event.loaded > 0) controller.abort();
          },
        }),
      );
      expect(error.code).toBe('abort');
      const partial = events.filter((e) => e.file === 'model.onnx').at(-1)!;
      expect(partial.loaded).toBeLessThan(partial.total!);
      // The server only ever sends half: the download cannot have finished before the abort.
      await expect.poll(() => server.closed).toContain('/held/iris-classifier/model.onnx');
      const before = server.hits.length;
      const retry = await errorOf(
        loadModel(`${server.url}/held/iris-classifier/model.onnx`, {
          cacheDir: heldCache,
          signal: AbortSignal.abort(),
        }),
      );
      expect(retry.code).toBe('abort');
      expect(server.hits.length).toBe(before); // an already aborted signal makes no request
      const files = await readdir(heldCache);
      expect(files.filter((f) => f.endsWith('model.onnx'))).toEqual([]);
    } finally {
      await rm(heldCache, { recursive: true, force: true });
    }
  });
});

describe('loading from bytes and files', () => {
  let scratch: string;
  beforeAll(async () => {
    fixture('iris-classifier');
    scratch = await mkdtemp(join(tmpdir(), 'mlkit-onnx-files-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('loads model bytes (Uint8Array) as a tensor model', async () => {
    const bytes = new Uint8Array(await readFile(fixture('iris-classifier', 'model.onnx')));
    const model = await loadModel(bytes, { task: 'tensor' });
    try {
      expect(model.id).toBe(`onnx:bytes(${bytes.byteLength})`);
      expect(model.describe().modelFile).toBeUndefined();
      const { outputs } = await model.run(irisInput);
      expect([...(outputs.output_label!.data as BigInt64Array)]).toEqual([0n]);
    } finally {
      await model.dispose();
    }
  });

  it('loads an ArrayBuffer the same way', async () => {
    const file = await readFile(fixture('iris-classifier', 'model.onnx'));
    const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
    const model = await loadModel(buffer, { task: 'tensor' });
    const { outputs } = await model.run(irisInput);
    expect(outputs.output_probability!.shape).toEqual([1, 3]);
    await model.dispose();
  });

  it('loads an .onnx file path with its Hugging Face folder (config and tokenizer one level up)', async () => {
    const model = await loadModel(fixture('tiny-bert', 'onnx', 'model.onnx'));
    try {
      expect(model.task).toBe('embedding');
      expect(model.describe().modelFile).toBe('onnx/model.onnx');
      expect(model.id).toBe(`onnx:${fixture('tiny-bert', 'onnx', 'model.onnx')}`);
    } finally {
      await model.dispose();
    }
  });

  it('fails with a ModelLoadError for a path that does not exist', async () => {
    const error = await errorOf(loadModel(join(scratch, 'missing.onnx')));
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/No model at .*missing\.onnx: no such file or folder/);
  });

  it('fails at load with "not a valid ONNX model" for random bytes', async () => {
    const error = await errorOf(loadModel(new Uint8Array(randomBytes(2048)), { task: 'tensor' }));
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/^bytes\(2048\) is not a valid ONNX model: /);
  });

  it('fails at load with "not a valid ONNX model" naming a text file given as the model', async () => {
    const path = join(scratch, 'notes.onnx');
    await writeFile(path, 'these are my notes, not a model\n');
    const error = await errorOf(loadModel(path));
    expect(error.code).toBe('model_load');
    expect(error.message).toContain(`${path} is not a valid ONNX model`);
  });

  it('fails at load when bytes are loaded as a task that needs the folder (a tokenizer)', async () => {
    const bytes = new Uint8Array(await readFile(fixture('tiny-bert', 'onnx', 'model.onnx')));
    const error = await errorOf(loadModel(bytes, { task: 'embedding' }));
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/this task needs a tokenizer, but the model has no tokenizer\.json/);
  });
});

describe('a model whose inputs or outputs do not fit the task is a load-time error', () => {
  const cases: [string, Parameters<typeof fixture>[0], LoadOptions['task'], RegExp][] = [
    [
      'a tabular classifier as embedding',
      'iris-classifier',
      'embedding',
      /an embedding model needs an int64 input_ids input; found inputs float_input float32 \[N, 4\]/,
    ],
    [
      'a tabular classifier as text-generation',
      'iris-classifier',
      'text-generation',
      /text generation needs an input_ids input and a logits output; found inputs float_input/,
    ],
    [
      'a KV-cache decoder as embedding',
      'tiny-gpt',
      'embedding',
      /the embedding task cannot feed the model's inputs position_ids int64 .*past_key_values\.0\.key .* and \d+ more; load it as the task it was exported for/,
    ],
    [
      'a KV-cache decoder as text classification',
      'tiny-gpt',
      'classification',
      /the text classification task cannot feed the model's inputs position_ids/,
    ],
    [
      'a decoder without a cache as embedding (its logits are no embeddings)',
      'tiny-gpt-nocache',
      'embedding',
      /an embedding model needs a token-level output .* found logits float32 \[batch_size, sequence_length, \d+\]/,
    ],
    [
      'a BERT text classifier as text-generation (token_type_ids is not a decoder input)',
      'tiny-bert-sentiment',
      'text-generation',
      /the text-generation task cannot feed the model's input token_type_ids int64 \[batch_size, sequence_length\];/,
    ],
    [
      'an encoder as classification',
      'tiny-bert',
      'classification',
      /a classification model needs an output of class scores .* found last_hidden_state/,
    ],
  ];
  for (const [name, folder, task, message] of cases) {
    it(`${name}: ModelLoadError, session released`, async () => {
      const { result: error, sessions } = await recordSessions(() =>
        errorOf(loadModel(fixture(folder), { task: task! })),
      );
      expect(error.code).toBe('model_load');
      expect(error.message).toMatch(message);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]!.releases).toBe(1);
      expect(sessions[0]!.runs).toBe(0);
    });
  }
});

describe('lifecycle', () => {
  it('rejects with AbortError and releases the session when aborted while the session starts', async () => {
    const controller = new AbortController();
    const { result: error, sessions } = await recordSessions(
      () => errorOf(loadModel(fixture('iris-classifier'), { signal: controller.signal })),
      () => controller.abort(),
    );
    expect(error.code).toBe('abort');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.releases).toBe(1);
  });

  it('dispose() releases the session once, is idempotent, and later calls fail with "disposed"', async () => {
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(fixture('iris-classifier'), { task: 'tensor' }),
    );
    await model.run(irisInput);
    await Promise.all([model.dispose(), model.dispose()]);
    await model.dispose();
    expect(sessions[0]!.releases).toBe(1);
    const error = await errorOf(model.run(irisInput));
    expect(error.code).toBe('unsupported');
    expect(error.message).toMatch(/disposed/);
    expect(sessions[0]!.runs).toBe(1);
  });
});

describe('devices and session options in Node', () => {
  it("device 'auto' picks the CPU and describe() says so and why", async () => {
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(fixture('iris-classifier'), { task: 'tensor' }),
    );
    try {
      const info = model.describe();
      expect(info.device).toBe('cpu');
      expect(info.deviceReason).toMatch(/^auto in Node: .*CPU/);
      expect(model.capabilities.device).toBe('cpu');
      expect(sessions[0]!.options?.executionProviders).toEqual(['cpu']);
      expect((await model.run(irisInput)).usage.device).toBe('cpu');
    } finally {
      await model.dispose();
    }
  });

  it("device 'cpu' reports that it was asked for", async () => {
    const model = await loadModel(fixture('iris-classifier'), { task: 'tensor', device: 'cpu' });
    expect(model.describe()).toMatchObject({ device: 'cpu', deviceReason: "device 'cpu' was asked for" });
    await model.dispose();
  });

  it("device 'webgpu' runs on a WebGPU adapter, or fails at load saying why and to use 'cpu'", async () => {
    const outcome = await loadModel(fixture('iris-classifier'), { task: 'tensor', device: 'webgpu' }).then(
      (model) => ({ model }),
      (error: Error & { code?: string }) => ({ error }),
    );
    if ('model' in outcome) {
      // A machine with a GPU and Vulkan/Metal/D3D12 drivers: onnxruntime-node's WebGPU provider.
      expect(outcome.model.describe().device).toBe('webgpu');
      await outcome.model.dispose();
      return;
    }
    expect(outcome.error.code).toBe('model_load');
    expect(outcome.error.message).toMatch(
      /could not be loaded \(execution providers: webgpu, cpu\): .*WebGPU/,
    );
    expect(outcome.error.message).toMatch(/or use device 'cpu'$/);
    expect(outcome.error.message).not.toMatch(/onnxruntime_src|\.cc:\d+/); // no C++ source locations
  });

  it("device 'wasm' in Node is a ModelLoadError pointing to onnxruntime-web or 'cpu'", async () => {
    const { result: error, sessions } = await recordSessions(() =>
      errorOf(loadModel(fixture('iris-classifier'), { device: 'wasm' })),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/device 'wasm' is onnxruntime-web's; in Node use device 'cpu'/);
    expect(sessions).toHaveLength(0);
  });

  it('passes threads and graphOptimizationLevel to the session, with the same results', async () => {
    const { result: tuned, sessions } = await recordSessions(() =>
      loadModel(fixture('iris-classifier'), { task: 'tensor', threads: 1, graphOptimizationLevel: 'basic' }),
    );
    const plain = await loadModel(fixture('iris-classifier'), { task: 'tensor' });
    try {
      expect(sessions[0]!.options).toMatchObject({ intraOpNumThreads: 1, graphOptimizationLevel: 'basic' });
      const a = await tuned.run(irisInput);
      const b = await plain.run(irisInput);
      expect(
        maxAbsDiff(
          a.outputs.output_probability!.data as Float32Array,
          b.outputs.output_probability!.data as Float32Array,
        ),
      ).toBeLessThan(1e-6);
    } finally {
      await tuned.dispose();
      await plain.dispose();
    }
  });

  it('defaults to graphOptimizationLevel all and no thread setting', async () => {
    const { result: model, sessions } = await recordSessions(() =>
      loadModel(fixture('iris-classifier'), { task: 'tensor' }),
    );
    await model.dispose();
    expect(sessions[0]!.options?.graphOptimizationLevel).toBe('all');
    expect(sessions[0]!.options).not.toHaveProperty('intraOpNumThreads');
  });

  it('rejects bad options with InvalidInputError naming the option, before creating a session', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ threads: 0 }, /options\.threads/],
      [{ threads: 1.5 }, /options\.threads/],
      [{ device: 'tpu' }, /options\.device/],
      [{ graphOptimizationLevel: 'max' }, /options\.graphOptimizationLevel/],
    ];
    const { sessions } = await recordSessions(async () => {
      for (const [options, message] of bad) {
        const error = await errorOf(loadModel(fixture('iris-classifier'), options as LoadOptions));
        expect(error.code, JSON.stringify(options)).toBe('invalid_input');
        expect(error.message).toMatch(message);
      }
    });
    expect(sessions).toHaveLength(0);
  });
});

describe('load options', () => {
  it('refuses an option loadModel does not know, naming it (generation settings go in the input)', async () => {
    await expect(
      loadModel(fixture('tiny-gpt'), { task: 'text-generation', maxTokens: 5 } as never),
    ).rejects.toThrow(/options: unknown key "maxTokens"/);
  });
});
