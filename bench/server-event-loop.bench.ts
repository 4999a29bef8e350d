// p99 of POST /predict/iris on an @mlkit/server that also serves tiny-gpt: with no generation running vs
// with 8 streaming generations running, sessions in worker threads (`loadModel({ worker: true })`) vs
// in-process. ratio = (p99 without generation) / (p99 with 8 streams): 1 means the generations cost
// /predict nothing; the goal 0.5 is "at most twice the p99" (issue 12 item 4).
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { createServer } from '../packages/server/src/index.ts';
import { listen } from '../packages/server/src/node.ts';
import { ensureFixtures, fixturePath } from '../test/fixtures/paths.ts';
import { resultLine } from './measure.ts';
import { postLoad } from './support/load.ts';

const CONNECTIONS = 8;
const STREAMS = 8;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const body = JSON.stringify({ data: [[5.1, 3.5, 1.4, 0.2]] });

async function p99Of(url: string, seconds: number): Promise<number> {
  const result = await postLoad(url, body, CONNECTIONS, seconds);
  if (result.non2xx || result.errors)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.latency.p99;
}

/** `STREAMS` clients that each stream one long completion after another until `stop` fires. */
function generate(base: string, stop: AbortSignal): Promise<number> {
  let tokens = 0;
  const client = async () => {
    while (!stop.aborted) {
      const response = await fetch(`${base}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt', prompt: 'the cat sat on the', max_tokens: 200, stream: true }),
        signal: stop,
      }).catch(() => undefined);
      if (!response?.body) continue;
      try {
        for await (const _ of response.body) tokens++;
      } catch {}
    }
  };
  return Promise.all(Array.from({ length: STREAMS }, client)).then(() => tokens);
}

async function measure(worker: boolean) {
  const iris = await loadModel(fixturePath('iris-classifier'), { task: 'classification', worker });
  const gpt = await loadModel(fixturePath('tiny-gpt'), { task: 'text-generation', worker });
  const server = createServer({ models: { iris, gpt } });
  const listening = await listen(server, { port: 0, host: '127.0.0.1' });
  const url = `${listening.url}/predict/iris`;
  try {
    await p99Of(url, 1); // warm-up
    const idle = await p99Of(url, DURATION_S);
    const stop = new AbortController();
    const streaming = generate(listening.url, stop.signal);
    await new Promise((r) => setTimeout(r, 300));
    const busy = await p99Of(url, DURATION_S);
    stop.abort();
    const chunks = await streaming;
    return { idle, busy, chunks };
  } finally {
    await listening.close();
    await iris.dispose();
    await gpt.dispose();
  }
}

await ensureFixtures();
const inProcess = await measure(false);
const inWorker = await measure(true);
console.log(
  `\nPOST /predict/iris p99 (ms), ${CONNECTIONS} connections, ${DURATION_S} s; ${STREAMS} tiny-gpt streams`,
);
console.log('sessions      no generation   8 streams   ratio   stream chunks');
for (const [name, r] of [
  ['in-process', inProcess],
  ['worker', inWorker],
] as const) {
  console.log(
    `${name.padEnd(12)} ${String(r.idle).padStart(14)} ${String(r.busy).padStart(11)} ${(Math.max(r.idle, 1) / Math.max(r.busy, 1)).toFixed(2).padStart(7)} ${String(r.chunks).padStart(15)}`,
  );
}
// ours = 1/p99 with streams, peer = 1/p99 without (per second, p99 floored at 1 ms, autocannon's resolution):
// their ratio is the p99 ratio above.
console.log(
  resultLine(
    'server.event-loop',
    1000 / Math.max(inWorker.busy, 1),
    1000 / Math.max(inWorker.idle, 1),
    'p99^-1/s',
    0.5,
  ),
);
process.exit(0);
