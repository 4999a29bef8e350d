// Calls/s of `model.run` on the `tensor` task vs raw onnxruntime-node `session.run(feeds)` on a benchmark-size
// encoder: bench-minilm, random weights shaped like all-MiniLM-L6-v2 (scripts/bench-models/build.sh builds it,
// not committed). What the mlkit contract (validation, run queue, deadlines, typed outputs) costs per call when
// a call does real work. Same session (the one loadModel made; see onnx-run.bench.ts for why), same input,
// sequential calls, same process. Workloads per dtype (fp32, and int8 onnx/model_quantized.onnx): one text of
// 128 tokens (the JSON line), and 8 texts of 128 tokens.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { benchModelPath, requireBenchModels } from '../scripts/bench-models/paths.ts';
import { alternate, resultLine, type Side } from './measure.ts';

requireBenchModels('onnx-run-large', 'bench-minilm');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
// The same intra-op threads on both sides (one session); the model is large enough to use the machine's cores.
const THREADS = Number(process.env.BENCH_THREADS ?? Math.min(4, availableParallelism()));
const DTYPES = (process.env.BENCH_DTYPES ?? 'fp32,q8').split(',') as ('fp32' | 'q8')[];
const SEQUENCE = 128;

interface Feed {
  dtype: 'int64';
  shape: number[];
  data: BigInt64Array;
}

function textInputs(batch: number): Record<string, Feed> {
  const n = batch * SEQUENCE;
  const ids = BigInt64Array.from({ length: n }, (_, i) => {
    const at = i % SEQUENCE;
    return BigInt(at === 0 ? 2 : at === SEQUENCE - 1 ? 3 : 200 + ((i * 7919) % 30000));
  });
  return {
    input_ids: { dtype: 'int64', shape: [batch, SEQUENCE], data: ids },
    attention_mask: { dtype: 'int64', shape: [batch, SEQUENCE], data: new BigInt64Array(n).fill(1n) },
    token_type_ids: { dtype: 'int64', shape: [batch, SEQUENCE], data: new BigInt64Array(n) },
  };
}

/** Load with mlkit and keep the onnxruntime session loadModel created: the peer runs on that very session. */
async function loadSharingSession(dtype: 'fp32' | 'q8') {
  const create = ort.InferenceSession.create;
  const created: ort.InferenceSession[] = [];
  ort.InferenceSession.create = async function (this: unknown, ...args: unknown[]) {
    const session = await (create as (...a: unknown[]) => Promise<ort.InferenceSession>).apply(this, args);
    created.push(session);
    return session;
  } as typeof create;
  try {
    const model = await loadModel(benchModelPath('bench-minilm'), {
      task: 'tensor',
      dtype,
      threads: THREADS,
    });
    if (created.length !== 1)
      throw new Error(`expected loadModel to create one session, saw ${created.length}`);
    return { model, session: created[0]! };
  } finally {
    ort.InferenceSession.create = create;
  }
}

const results: { name: string; ours: number; peer: number }[] = [];
const lines: string[] = [];
for (const dtype of DTYPES) {
  const { model, session } = await loadSharingSession(dtype);
  for (const batch of [1, 8]) {
    const inputs = textInputs(batch);
    // Same outputs on both sides first.
    const mine = (await model.run({ inputs })).outputs.last_hidden_state!;
    const feeds = () => {
      const out: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(inputs)) out[name] = new ort.Tensor(t.dtype, t.data, t.shape);
      return out;
    };
    const theirs = (await session.run(feeds())).last_hidden_state!;
    const a = mine.data as Float32Array;
    const b = theirs.data as Float32Array;
    let most = a.length === b.length ? 0 : Number.POSITIVE_INFINITY;
    for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]! - b[i]!));
    if (most > 1e-4) throw new Error(`${dtype}: model.run and session.run differ by ${most}`);

    const ours: Side = {
      name: '@mlkit/onnx',
      step: async () => {
        const { outputs } = await model.run({ inputs });
        if (!outputs) throw new Error('no outputs');
        return 1;
      },
    };
    // The peer builds its ort.Tensor feeds per call, as a caller with fresh data would; ours gets the same arrays.
    const peer: Side = {
      name: 'onnxruntime-node',
      step: async () => {
        const outputs = await session.run(feeds());
        if (!outputs) throw new Error('no outputs');
        return 1;
      },
    };
    const measured = await alternate(ours, peer, { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 1000 });
    const name = `${dtype}, ${batch} x ${SEQUENCE} tokens`;
    results.push({ name, ours: measured.ours.median, peer: measured.peer.median });
    if (batch === 1) {
      const suffix = dtype === 'fp32' ? '' : `.${dtype}`;
      lines.push(
        resultLine(`onnx.run-large${suffix}`, measured.ours.median, measured.peer.median, 'calls/s', 0.99),
      );
    }
  }
  await model.dispose(); // releases the shared session
}

console.log(
  `\nbench-minilm (MiniLM-L6 shape), sequential calls, ${THREADS} threads, ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`,
);
console.log('workload                    @mlkit/onnx calls/s  onnxruntime-node calls/s  ratio');
for (const r of results) {
  console.log(
    `${r.name.padEnd(27)} ${r.ours.toFixed(1).padStart(19)} ${r.peer.toFixed(1).padStart(25)} ${(r.ours / r.peer).toFixed(3).padStart(6)}`,
  );
}
for (const line of lines) console.log(line);
