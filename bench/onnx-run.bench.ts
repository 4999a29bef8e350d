// Calls/s of `model.run` on the `tensor` task vs raw onnxruntime-node (`session.run(feeds)` on the session
// `InferenceSession.create(path, options)` made for the model): what the mlkit contract (validation, run queue,
// deadlines, typed outputs) costs per call over the runtime it wraps. Same session, same input, sequential
// calls, same process.
// Workloads: tiny-bert, one 16-token text as input_ids/attention_mask/token_type_ids (~0.1 ms of compute; the
// JSON line); tiny-bert, 8 texts of 64 tokens (~1 ms); the iris classifier, one row (~15 µs of compute: the
// harsh, overhead-bound case). mlkit's cost per call is fixed (validation, run queue, deadline, output
// conversion), so its share shrinks as the model's work grows.
import * as ort from 'onnxruntime-node';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { ensureFixtures, fixturePath } from '../test/fixtures/paths.ts';
import { alternate, resultLine, type Side } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 20);
// One intra-op thread on both sides: these models are too small to gain from more, and spinning worker
// threads make timings on a shared machine swing by 3x. Same session options on both sides either way.
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

ensureFixtures();

type Feed =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array };

interface Workload {
  name: string;
  folder: string;
  file: string;
  inputs: Record<string, Feed>;
}

const SEQUENCE = 16;
const ids = BigInt64Array.from({ length: SEQUENCE }, (_, i) =>
  BigInt(i === 0 ? 2 : i === SEQUENCE - 1 ? 3 : 10 + i * 7),
);
// A bigger call (~1 ms): the same fixed cost per call, a smaller share of it.
const BATCH = 8;
const LONG = 64;
const longIds = BigInt64Array.from({ length: BATCH * LONG }, (_, i) => BigInt(5 + ((i * 37) % 300)));
const workloads: Workload[] = [
  {
    name: `tiny-bert, 1 text of ${SEQUENCE} tokens`,
    folder: fixturePath('tiny-bert'),
    file: fixturePath('tiny-bert', 'onnx', 'model.onnx'),
    inputs: {
      input_ids: { dtype: 'int64', shape: [1, SEQUENCE], data: ids },
      attention_mask: { dtype: 'int64', shape: [1, SEQUENCE], data: new BigInt64Array(SEQUENCE).fill(1n) },
      token_type_ids: { dtype: 'int64', shape: [1, SEQUENCE], data: new BigInt64Array(SEQUENCE) },
    },
  },
  {
    name: `tiny-bert, ${BATCH} texts of ${LONG} tokens`,
    folder: fixturePath('tiny-bert'),
    file: fixturePath('tiny-bert', 'onnx', 'model.onnx'),
    inputs: {
      input_ids: { dtype: 'int64', shape: [BATCH, LONG], data: longIds },
      attention_mask: {
        dtype: 'int64',
        shape: [BATCH, LONG],
        data: new BigInt64Array(BATCH * LONG).fill(1n),
      },
      token_type_ids: { dtype: 'int64', shape: [BATCH, LONG], data: new BigInt64Array(BATCH * LONG) },
    },
  },
  {
    name: 'iris-classifier, 1 row [1, 4]',
    folder: fixturePath('iris-classifier'),
    file: fixturePath('iris-classifier', 'model.onnx'),
    inputs: {
      float_input: { dtype: 'float32', shape: [1, 4], data: new Float32Array([5.1, 3.5, 1.4, 0.2]) },
    },
  },
];

/**
 * Load with mlkit and keep the onnxruntime session that `loadModel` made with `InferenceSession.create(path,
 * options)`: the peer runs on that very session. Two sessions of one model file can differ in speed by 10-15%
 * on their own (memory placement), which would swamp the few µs this benchmark looks for.
 */
async function loadSharingSession(workload: Workload) {
  const create = ort.InferenceSession.create;
  const created: ort.InferenceSession[] = [];
  ort.InferenceSession.create = async function (this: unknown, ...args: unknown[]) {
    const session = await (create as (...a: unknown[]) => Promise<ort.InferenceSession>).apply(this, args);
    created.push(session);
    return session;
  } as typeof create;
  try {
    const model = await loadModel(workload.folder, { task: 'tensor', threads: THREADS });
    if (created.length !== 1)
      throw new Error(`expected loadModel to create one session, saw ${created.length}`);
    return { model, session: created[0]! };
  } finally {
    ort.InferenceSession.create = create;
  }
}

const results: { name: string; ours: number; peer: number }[] = [];
for (const workload of workloads) {
  const { model, session } = await loadSharingSession(workload);
  // The peer builds its ort.Tensor feeds per call, as a caller with fresh data would; ours gets the same arrays.
  const ours: Side = {
    name: '@mlkit/onnx',
    step: async () => {
      const { outputs } = await model.run({ inputs: workload.inputs });
      if (!outputs) throw new Error('no outputs');
      return 1;
    },
  };
  const peer: Side = {
    name: 'onnxruntime-node',
    step: async () => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(workload.inputs))
        feeds[name] = new ort.Tensor(t.dtype, t.data, t.shape);
      const outputs = await session.run(feeds);
      if (!outputs) throw new Error('no outputs');
      return 1;
    },
  };
  const measured = await alternate(ours, peer, { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 1000 });
  results.push({ name: workload.name, ours: measured.ours.median, peer: measured.peer.median });
  await model.dispose(); // releases the shared session
}

console.log(`\nsequential calls, ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`);
console.log('workload                              @mlkit/onnx calls/s  onnxruntime-node calls/s  ratio');
for (const r of results) {
  console.log(
    `${r.name.padEnd(38)} ${r.ours.toFixed(0).padStart(18)} ${r.peer.toFixed(0).padStart(25)} ${(r.ours / r.peer).toFixed(3).padStart(6)}`,
  );
}
const bert = results[0]!;
console.log(resultLine('onnx.run', bert.ours, bert.peer, 'calls/s', 0.97));
