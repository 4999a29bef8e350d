// Embeddings/s of @mlkit/onnx `embedding` vs transformers.js `pipeline('feature-extraction')` (mean pooling,
// L2-normalised) on a benchmark-size encoder: bench-minilm, random weights shaped like all-MiniLM-L6-v2 (6
// layers, hidden 384, 12 heads, 30k WordPiece vocab; scripts/bench-models/build.sh builds it, not committed).
// The corpus: 64 texts of mixed lengths, 8 to 256 tokens each (log-uniform, so most are short, as real
// traffic is). Two workloads per dtype (fp32 and int8 `q8`, onnx/model_quantized.onnx on both sides):
// - batch 1: one text per call, in turn;
// - batch 32: calls of 32 texts (the JSON line's workload: what an indexer does). transformers.js pads every
//   text to the batch's longest; mlkit groups texts of similar length into runs (tokenizer.ts groupByLength).
// Checked before timing: mlkit's batched vectors equal its unbatched ones, and both equal transformers.js's.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type DataType, env, type FeatureExtractionPipeline, pipeline } from '@huggingface/transformers';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { benchModelPath, benchModelsDir, requireBenchModels } from '../scripts/bench-models/paths.ts';
import { alternate, resultLine, type Side } from './measure.ts';

requireBenchModels('onnx-embedding-large', 'bench-minilm');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
// The same intra-op threads on both sides; these models are large enough to use the machine's cores.
const THREADS = Number(process.env.BENCH_THREADS ?? Math.min(4, availableParallelism()));
const DTYPES = (process.env.BENCH_DTYPES ?? 'fp32,q8').split(',') as ('fp32' | 'q8')[];
const BATCH = 32;
const TEXTS = 64;
// Most absolute difference allowed between two vectors that should be equal.
const TOLERANCE = 1e-4;
// int8: onnxruntime's dynamic quantisation scales activations per tensor, so padding the batch (and which
// texts share a run) moves the vectors; both sides are compared at batch 1, where nothing is padded.
const BATCHED_TOLERANCE: Record<string, number> = { fp32: 1e-4, q8: 5e-2 };

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${benchModelsDir}/`;

// Each word is one WordPiece token of the model's vocab; a text of n words is n + 2 tokens with [CLS] and [SEP].
const words = readFileSync(benchModelPath('bench-minilm', 'bench-words.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);
let state = 12345;
function random(): number {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}
const corpus = Array.from({ length: TEXTS }, () => {
  const tokens = Math.round(8 * 32 ** random()); // 8..256, log-uniform
  return Array.from({ length: tokens - 2 }, () => words[Math.floor(random() * words.length)]!).join(' ');
});

function maxDiff(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let most = 0;
  for (let r = 0; r < a.length; r++) {
    for (let d = 0; d < a[r]!.length; d++) most = Math.max(most, Math.abs(a[r]![d]! - b[r]![d]!));
  }
  return most;
}

const lines: string[] = [];
const table: { name: string; ours: number; peer: number }[] = [];
for (const dtype of DTYPES) {
  const model = await loadModel(benchModelPath('bench-minilm'), {
    task: 'embedding',
    dtype,
    pooling: 'mean',
    normalize: true,
    threads: THREADS,
  });
  const extractor: FeatureExtractionPipeline = await pipeline('feature-extraction', 'bench-minilm', {
    dtype: dtype as DataType,
    session_options: { intraOpNumThreads: THREADS },
  });
  const peerVectors = async (texts: string[]) => {
    const output = await extractor(texts, { pooling: 'mean', normalize: true });
    const data = output.data as Float32Array;
    const size = output.dims[1]!;
    return texts.map((_, r) => data.subarray(r * size, (r + 1) * size));
  };
  const batches = [corpus.slice(0, BATCH), corpus.slice(BATCH, 2 * BATCH)];

  // Same vectors, or the comparison means nothing.
  // One call at a time: concurrent calls would share runs (mlkit micro-batches them).
  const unbatched: Float32Array[] = [];
  const peerUnbatched: Float32Array[] = [];
  const batched: Float32Array[] = [];
  for (const text of corpus) {
    unbatched.push((await model.run({ texts: [text] })).embeddings[0]!);
    peerUnbatched.push((await peerVectors([text]))[0]!);
  }
  for (const texts of batches) batched.push(...(await model.run({ texts })).embeddings);
  const selfDiff = maxDiff(batched, unbatched);
  const peerDiff = maxDiff(unbatched, peerUnbatched);
  if (selfDiff > BATCHED_TOLERANCE[dtype]!)
    throw new Error(`${dtype}: batched embeddings differ from unbatched ones by ${selfDiff}`);
  if (peerDiff > TOLERANCE)
    throw new Error(`${dtype}: embeddings differ from transformers.js by ${peerDiff}`);
  console.log(
    `${dtype}: batched vs unbatched max |diff| ${selfDiff.toExponential(2)}, vs transformers.js ${peerDiff.toExponential(2)}`,
  );

  let next1 = 0;
  let nextBatch = 0;
  const options = { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 2000 };
  const one = await alternate(
    {
      name: '@mlkit/onnx',
      step: async () => (await model.run({ texts: [corpus[next1++ % TEXTS]!] })).embeddings.length,
    },
    { name: 'transformers.js', step: async () => (await peerVectors([corpus[next1++ % TEXTS]!])).length },
    options,
  );
  const many = await alternate(
    {
      name: '@mlkit/onnx',
      step: async () => (await model.run({ texts: batches[nextBatch++ % 2]! })).embeddings.length,
    } satisfies Side,
    { name: 'transformers.js', step: async () => (await peerVectors(batches[nextBatch++ % 2]!)).length },
    options,
  );
  await model.dispose();
  await extractor.dispose();
  table.push({ name: `${dtype}, batch 1`, ours: one.ours.median, peer: one.peer.median });
  table.push({ name: `${dtype}, batch ${BATCH}`, ours: many.ours.median, peer: many.peer.median });
  const suffix = dtype === 'fp32' ? '' : `.${dtype}`;
  lines.push(
    resultLine(`onnx.embedding-large.b1${suffix}`, one.ours.median, one.peer.median, 'embeddings/s', 1.5),
  );
  lines.push(
    resultLine(
      `onnx.embedding-large.b${BATCH}${suffix}`,
      many.ours.median,
      many.peer.median,
      'embeddings/s',
      1.5,
    ),
  );
}

console.log(
  `\nbench-minilm (MiniLM-L6 shape), ${TEXTS} texts of 8-256 tokens, mean pooling + L2, ${THREADS} threads, ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`,
);
console.log('workload              @mlkit/onnx emb/s  transformers.js emb/s  ratio');
for (const r of table) {
  console.log(
    `${r.name.padEnd(21)} ${r.ours.toFixed(1).padStart(17)} ${r.peer.toFixed(1).padStart(22)} ${(r.ours / r.peer).toFixed(2).padStart(6)}`,
  );
}
for (const line of lines) console.log(line);
