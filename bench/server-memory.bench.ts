// Memory of @mlkit/server (issue 12 item 5): RSS after each model loads (iris classification, tiny-bert
// embeddings, tiny-gpt generation), then after 10,000 mixed calls from 64 connections, after a forced GC
// and after idle; V8 heap beside it, and live object counts (v8.queryObjects) after GC before and after
// the load, so that what grows can be named. The server runs in a child process (--expose-gc) so that
// autocannon's own memory is not counted; it runs twice, with onnxruntime's CPU arena on (the default)
// and off (`enableCpuMemArena: false`), to tell native arena memory from the rest.
// No peer: the result line's ratio is RSS before the load / RSS idle after it (1 = nothing kept).
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import autocannon from 'autocannon';
import { resultLine } from './measure.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 10_000);
const CONNECTIONS = 64;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const MB = 1024 * 1024;

interface Sample {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  counts?: Record<string, number>;
}

type FromServer =
  | { type: 'loaded'; model: string; sample: Sample }
  | { type: 'listening'; url: string }
  | { type: 'sample'; sample: Sample };

if (process.env.MLKIT_MEMORY_SERVER) await serve(process.env.MLKIT_MEMORY_SERVER === 'arena-off');
else {
  await drive();
  process.exit(0);
}

// ---- the server (child process) ----

async function serve(arenaOff: boolean): Promise<void> {
  const { default: ort } = await import('onnxruntime-node');
  if (arenaOff) {
    // onnxruntime-node's CPU allocator keeps freed blocks in its arena; off, they go back to malloc.
    const create = ort.InferenceSession.create.bind(ort.InferenceSession);
    (ort.InferenceSession as { create: unknown }).create = (model: never, options: object = {}) =>
      create(model, { ...options, enableCpuMemArena: false });
  }
  const { loadModel } = await import('../packages/onnx/src/index.node.ts');
  const { createServer } = await import('../packages/server/src/index.ts');
  const { listen } = await import('../packages/server/src/node.ts');
  const { ensureFixtures, fixturePath } = await import('../test/fixtures/paths.ts');
  ensureFixtures();
  const send = (message: FromServer) => process.send!(message);
  const gc = globalThis.gc!;
  // Constructors whose live instances are counted after GC: per-request objects and tensors.
  const counted: Record<string, new (...args: never[]) => unknown> = {
    AbortSignal,
    AbortController,
    Request,
    Response,
    ReadableStream,
    Promise,
    Map,
    Set,
    WeakRef,
    Float32Array,
    BigInt64Array,
    ArrayBuffer,
    Tensor: ort.Tensor as never,
  };
  const sample = (withCounts: boolean): Sample => {
    const m = process.memoryUsage();
    const out: Sample = {
      rssMb: m.rss / MB,
      heapUsedMb: m.heapUsed / MB,
      heapTotalMb: m.heapTotal / MB,
      externalMb: m.external / MB,
      arrayBuffersMb: m.arrayBuffers / MB,
    };
    if (withCounts) {
      out.counts = {};
      for (const [name, ctor] of Object.entries(counted))
        out.counts[name] = (v8.queryObjects as (c: unknown, o: object) => number)(ctor, { format: 'count' });
    }
    return out;
  };
  gc();
  send({ type: 'loaded', model: '(none)', sample: sample(false) });
  const iris = await loadModel(fixturePath('iris-classifier'), { task: 'classification' });
  gc();
  send({ type: 'loaded', model: 'iris', sample: sample(false) });
  const bert = await loadModel(fixturePath('tiny-bert'), { task: 'embedding' });
  gc();
  send({ type: 'loaded', model: 'bert', sample: sample(false) });
  const gpt = await loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' });
  gc();
  send({ type: 'loaded', model: 'gpt', sample: sample(false) });
  const listening = await listen(createServer({ models: { iris, bert, gpt } }), {
    port: 0,
    host: '127.0.0.1',
  });
  send({ type: 'listening', url: listening.url });
  process.on(
    'message',
    async (message: { type: 'sample'; gc: boolean; counts: boolean } | { type: 'close' }) => {
      if (message.type === 'close') {
        await listening.close({ graceMs: 1000 });
        process.exit(0);
      }
      if (message.gc) {
        // Twice: the first pass runs finalizers (ORT tensors' native buffers), the second collects what they freed.
        gc();
        await sleep(50);
        gc();
      }
      send({ type: 'sample', sample: sample(message.counts) });
    },
  );
}

// ---- the driver (this process) ----

async function measure(arenaOff: boolean) {
  const child = fork(import.meta.filename, [], {
    env: { ...process.env, MLKIT_MEMORY_SERVER: arenaOff ? 'arena-off' : 'arena-on' },
    execArgv: [...process.execArgv, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: FromServer[] = [];
  const waiters: Array<() => void> = [];
  child.on('message', (message: FromServer) => {
    inbox.push(message);
    waiters.shift()?.();
  });
  const next = async (): Promise<FromServer> => {
    if (inbox.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return inbox.shift()!;
  };
  const loaded: Array<{ model: string; sample: Sample }> = [];
  let url = '';
  while (!url) {
    const message = await next();
    if (message.type === 'loaded') loaded.push(message);
    else if (message.type === 'listening') url = message.url;
  }
  const sampleNow = async (gc: boolean, counts = false) => {
    child.send({ type: 'sample', gc, counts });
    const message = await next();
    if (message.type !== 'sample') throw new Error(`expected a sample, got ${message.type}`);
    return message.sample;
  };
  const json = (path: string, body: unknown) => ({
    method: 'POST' as const,
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // One call of each kind per round, plus two that must not leave anything behind: an unknown model and an unknown route.
  const requests = [
    json('/predict/iris', { data: [[5.1, 3.5, 1.4, 0.2]] }),
    json('/v1/embeddings', { model: 'bert', input: ['the cat sat on the mat', 'a dog'] }),
    json('/v1/completions', { model: 'gpt', prompt: 'the cat sat on the', max_tokens: 8 }),
    json('/v2/models/iris/infer', {
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [6.7, 3.0, 5.2, 2.3] }],
    }),
    json('/v1/embeddings', { model: 'no-such-model', input: 'x' }),
    json('/no/such/route', {}),
  ];
  const load = (amount: number) =>
    autocannon({ url, connections: CONNECTIONS, amount, requests, timeout: 60 });
  // Each kind answers as meant before any is counted: 200 for the four calls, 404 for the two unknown names.
  const answers: string[] = [];
  for (const r of requests) {
    const response = await fetch(url + r.path, { method: r.method, headers: r.headers, body: r.body });
    answers.push(`${r.path} ${response.status} ${(await response.text()).slice(0, 200)}`);
  }
  const statuses = answers.map((answer) => answer.split(' ')[1]).join();
  if (statuses !== '200,200,200,200,404,404') throw new Error(`unexpected answers:\n${answers.join('\n')}`);
  await load(600); // warm-up: first-run allocations, JIT, the arena's first growth
  const before = await sampleNow(true, true);
  const result = await load(CALLS);
  const after = await sampleNow(false);
  const afterGc = await sampleNow(true, true);
  await sleep(IDLE_MS);
  const idle = await sampleNow(true);
  child.send({ type: 'close' });
  await new Promise((resolve) => child.once('exit', resolve));
  return { loaded, before, after, afterGc, idle, result };
}

async function drive() {
  const on = await measure(false);
  const off = await measure(true);
  const mb = (value: number) => value.toFixed(1).padStart(8);
  console.log(`\n@mlkit/server memory, MB: ${CALLS} mixed calls from ${CONNECTIONS} connections`);
  for (const [name, run] of [
    ['CPU arena on (default)', on],
    ['CPU arena off', off],
  ] as const) {
    const { result } = run;
    console.log(
      `\n${name}: ${result.requests.total} calls in ${result.duration} s, 2xx ${result['2xx']}, non-2xx ${result.non2xx} (the two unknown-name calls per round answer 404), errors ${result.errors}`,
    );
    console.log('point                          rss   heapUsed  heapTotal   external  arrayBuffers');
    const row = (label: string, s: Sample) =>
      console.log(
        `${label.padEnd(26)} ${mb(s.rssMb)} ${mb(s.heapUsedMb)}   ${mb(s.heapTotalMb)} ${mb(s.externalMb)} ${mb(s.arrayBuffersMb)}`,
      );
    let previous: Sample | undefined;
    for (const { model, sample } of run.loaded) {
      const delta = previous ? ` (+${(sample.rssMb - previous.rssMb).toFixed(1)} rss)` : '';
      row(model === '(none)' ? 'no model loaded' : `after loading ${model}${delta}`, sample);
      previous = sample;
    }
    row('after warm-up, GC', run.before);
    row(`after ${CALLS} calls`, run.after);
    row('after forced GC', run.afterGc);
    row(`idle ${IDLE_MS / 1000} s, GC`, run.idle);
    console.log('live objects after GC     warm-up  after calls');
    for (const [key, count] of Object.entries(run.before.counts ?? {})) {
      console.log(
        `${key.padEnd(24)} ${String(count).padStart(8)} ${String(run.afterGc.counts?.[key]).padStart(12)}`,
      );
    }
  }
  // ours = 1 / RSS idle after the calls, peer = 1 / RSS before them: ratio = before / after (1: nothing kept).
  console.log(resultLine('server.memory-rss-kept', 1 / on.idle.rssMb, 1 / on.before.rssMb, 'MB^-1', 0.8));
}
