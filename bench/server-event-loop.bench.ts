// p99 of POST /predict/iris on an @mlkit/server that also serves a decoder, with no generation running vs
// with 8 streaming generations (/v1/completions, stream: true) running; sessions in worker threads
// (`loadModel({ worker: true })`, what `mlkit serve` does for onnx: models) vs in-process.
// ratio = (p99 without generation) / (p99 with 8 streams): 1 means the generations cost /predict nothing;
// the goal 0.5 is "at most twice the p99" (issue 12 item 4).
// Two scenarios, each its own line:
// - server.event-loop: bench-llama (38.9M parameters, ~10 ms per decode step; scripts/bench-models/build.sh),
//   the case: onnxruntime's run() is long compute that, in-process, blocks the event loop. Both
//   models load as `mlkit serve onnx:<folder>` loads them (worker on, default threads, no continuous
//   batching: the server's and the CLI's default), the server with createServer's defaults.
// - server.event-loop.token-flood (informational): tiny-gpt, a few-thousand-parameter decoder whose decode
//   step takes ~0.1 ms, so the 8 streams are a flood of tokens and what it measures is the per-token
//   HTTP/SSE work those streams put on the main thread, which no worker thread can take away.
// "tokens/s" is the SSE token events the 8 streams received per second while /predict was measured: the
// generations are not starved to make the ratio look good.
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { createServer } from '../packages/server/src/index.ts';
import { listen } from '../packages/server/src/node.ts';
import { benchModelPath, requireBenchModels } from '../scripts/bench-models/paths.ts';
import { ensureFixtures, fixturePath } from '../test/fixtures/paths.ts';
import { resultLine } from './measure.ts';
import { postLoad } from './support/load.ts';

const CONNECTIONS = 8;
const STREAMS = 8;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const body = JSON.stringify({ data: [[5.1, 3.5, 1.4, 0.2]] });

interface Scenario {
  bench: string;
  decoder: string;
  folder: string;
  maxTokens: number;
}

async function p99Of(url: string, seconds: number): Promise<number> {
  const result = await postLoad(url, body, CONNECTIONS, seconds);
  if (result.non2xx || result.errors)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.latency.p99;
}

/** `STREAMS` clients that each stream one completion after another until `stop` fires; `tokens()` counts SSE token events. */
function generate(base: string, maxTokens: number, stop: AbortSignal) {
  let tokens = 0;
  const client = async () => {
    const decoder = new TextDecoder();
    while (!stop.aborted) {
      const response = await fetch(`${base}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt',
          prompt: 'the cat sat on the',
          max_tokens: maxTokens,
          stream: true,
        }),
        signal: stop,
      }).catch(() => undefined);
      if (!response?.body) continue;
      let pending = '';
      try {
        for await (const chunk of response.body) {
          const lines = (pending + decoder.decode(chunk, { stream: true })).split('\n');
          pending = lines.pop()!;
          for (const line of lines) if (line.startsWith('data: {')) tokens++;
        }
      } catch {}
    }
  };
  const done = Promise.all(Array.from({ length: STREAMS }, client));
  return { done, tokens: () => tokens };
}

async function measure(scenario: Scenario, worker: boolean) {
  const iris = await loadModel(fixturePath('iris-classifier'), { task: 'classification', worker });
  const gpt = await loadModel(scenario.folder, { task: 'text-generation', worker });
  const server = createServer({ models: { iris, gpt } });
  const listening = await listen(server, { port: 0, host: '127.0.0.1' });
  const url = `${listening.url}/predict/iris`;
  try {
    await p99Of(url, 1); // warm-up
    const idle = await p99Of(url, DURATION_S);
    const stop = new AbortController();
    const streams = generate(listening.url, scenario.maxTokens, stop.signal);
    await new Promise((r) => setTimeout(r, 1000)); // the streams past their first prefill
    const before = streams.tokens();
    const started = performance.now();
    const busy = await p99Of(url, DURATION_S);
    const tokensPerS = ((streams.tokens() - before) * 1000) / (performance.now() - started);
    stop.abort();
    await streams.done;
    return { idle, busy, tokensPerS };
  } finally {
    await listening.close();
    await iris.dispose();
    await gpt.dispose();
  }
}

async function report(scenario: Scenario) {
  const inProcess = await measure(scenario, false);
  const inWorker = await measure(scenario, true);
  console.log(
    `\n${scenario.bench}: POST /predict/iris p99 (ms), ${CONNECTIONS} connections, ${DURATION_S} s; ${STREAMS} ${scenario.decoder} streams`,
  );
  console.log('sessions      no generation   8 streams   ratio   tokens/s');
  for (const [name, r] of [
    ['in-process', inProcess],
    ['worker', inWorker],
  ] as const) {
    console.log(
      `${name.padEnd(12)} ${String(r.idle).padStart(14)} ${String(r.busy).padStart(11)} ${(Math.max(r.idle, 1) / Math.max(r.busy, 1)).toFixed(2).padStart(7)} ${r.tokensPerS.toFixed(0).padStart(10)}`,
    );
  }
  // ours = 1/p99 with streams, peer = 1/p99 without (per second, p99 floored at 1 ms, autocannon's
  // resolution): their ratio is the p99 ratio above.
  console.log(
    resultLine(
      scenario.bench,
      1000 / Math.max(inWorker.busy, 1),
      1000 / Math.max(inWorker.idle, 1),
      'p99^-1/s',
      0.5,
    ),
  );
}

await ensureFixtures();
requireBenchModels('server-event-loop', 'bench-llama');
await report({
  bench: 'server.event-loop',
  decoder: 'bench-llama',
  folder: benchModelPath('bench-llama'),
  maxTokens: 64,
});
await report({
  bench: 'server.event-loop.token-flood',
  decoder: 'tiny-gpt',
  folder: fixturePath('tiny-gpt'),
  maxTokens: 200,
});
process.exit(0);
