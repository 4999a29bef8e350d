// Embeddings/s of @mlkit/onnx `embedding` vs transformers.js `pipeline('feature-extraction')` (mean pooling,
// L2-normalised) on the same folder (fixture tiny-bert, HF layout) and the same texts, in one process.
// transformers.js loads only from disk (allowRemoteModels = false). Two workloads:
// - batch: sequential calls of 16 texts each (the JSON line: what a batch job or an indexer does);
// - concurrent: 16 callers with one text each at a time (a server's traffic; mlkit micro-batches them).
import { env, type FeatureExtractionPipeline, pipeline } from '@huggingface/transformers';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { ensureFixtures, fixturePath, fixturesDir } from '../test/fixtures/paths.ts';
import { alternate, resultLine, type Side } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 25);
// One intra-op thread on both sides: the model is too small to gain from more, and spinning worker threads
// make timings on a shared machine swing. Same session options on both sides.
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const BATCH = 16;

ensureFixtures();
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${fixturesDir}/`;

// 5 to 30 tokens each with the fixture's WordPiece vocabulary.
const texts = [
  'I love this movie.',
  'It was wonderful, beautiful and full of joy.',
  'This product is good.',
  'Great value for the price!',
  'This is the best day of my life!',
  'The actors were great and the music was excellent, but the ending was far too long for me.',
  'The happy dog wagged its tail.',
  'Thank you very much for your help.',
  'I hate this movie.',
  'It was terrible, boring and full of bad ideas.',
  'This product is bad.',
  'What a waste of time.',
  'This is the worst day of my life.',
  'The actors were awful and the music was worse.',
  'The sad cat hid under the bed.',
  'It broke after one day and I want my money back.',
];

const model = await loadModel(fixturePath('tiny-bert'), {
  task: 'embedding',
  pooling: 'mean',
  normalize: true,
  threads: THREADS,
});
const extractor: FeatureExtractionPipeline = await pipeline('feature-extraction', 'tiny-bert', {
  dtype: 'fp32',
  session_options: { intraOpNumThreads: THREADS },
});

// Both sides must compute the same vectors, or the comparison means nothing.
{
  const ours = (await model.run({ texts })).embeddings;
  const theirs = await extractor(texts, { pooling: 'mean', normalize: true });
  const data = theirs.data as Float32Array;
  const size = theirs.dims[1]!;
  let maxDiff = 0;
  for (let r = 0; r < texts.length; r++) {
    for (let d = 0; d < size; d++) maxDiff = Math.max(maxDiff, Math.abs(ours[r]![d]! - data[r * size + d]!));
  }
  if (maxDiff > 1e-4) throw new Error(`embeddings differ from transformers.js by ${maxDiff}`);
}

const batchOurs: Side = {
  name: '@mlkit/onnx',
  step: async () => (await model.run({ texts })).embeddings.length,
};
const batchPeer: Side = {
  name: 'transformers.js',
  step: async () => (await extractor(texts, { pooling: 'mean', normalize: true })).dims[0]!,
};
// 16 callers, one text each, all in flight together; a step ends when all 16 have their vector.
const concurrentOurs: Side = {
  name: '@mlkit/onnx',
  step: async () => {
    const results = await Promise.all(texts.map((text) => model.run({ texts: [text] })));
    return results.length;
  },
};
const concurrentPeer: Side = {
  name: 'transformers.js',
  step: async () => {
    const results = await Promise.all(
      texts.map((text) => extractor(text, { pooling: 'mean', normalize: true })),
    );
    return results.length;
  },
};

const options = { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 1000 };
const batch = await alternate(batchOurs, batchPeer, options);
const concurrent = await alternate(concurrentOurs, concurrentPeer, options);
await model.dispose();
await extractor.dispose();

console.log(
  `\ntiny-bert, mean pooling + L2, ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`,
);
console.log('workload                              @mlkit/onnx emb/s  transformers.js emb/s  ratio');
for (const [name, m] of [
  [`batch: calls of ${BATCH} texts`, batch],
  [`concurrent: ${BATCH} callers x 1 text`, concurrent],
] as const) {
  console.log(
    `${name.padEnd(38)} ${m.ours.median.toFixed(0).padStart(16)} ${m.peer.median.toFixed(0).padStart(22)} ${(m.ours.median / m.peer.median).toFixed(2).padStart(6)}`,
  );
}
console.log(resultLine('onnx.embedding', batch.ours.median, batch.peer.median, 'embeddings/s', 1.5));
