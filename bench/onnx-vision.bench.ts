// Images/s of @mlkit/onnx `image-classification` vs transformers.js `pipeline('image-classification')` on the same
// folder (fixture tiny-vit, exported by scripts/fixtures) and the same PNG bytes, in one process: each side decodes
// the file, preprocesses it from preprocessor_config.json and runs the model. Batch 1 (one image per call) and
// batch 8 (eight images per call). Both sides must give the same top labels first, or the comparison means nothing.
import { readFileSync } from 'node:fs';
import { env, type ImageClassificationPipeline, pipeline, RawImage } from '@huggingface/transformers';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { fixturesDir } from '../test/fixtures/paths.ts';
import { alternate, resultLine, type Side } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 25);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const FOLDER = process.env.BENCH_VISION_MODEL ?? 'tiny-vit';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${fixturesDir}/`;

const imagePath = `${fixturesDir}/../media/${process.env.BENCH_IMAGE ?? 'shapes.png'}`;
const bytes = new Uint8Array(readFileSync(imagePath));

const model = await loadModel(`${fixturesDir}/${FOLDER}`, { task: 'image-classification', threads: THREADS });
const classifier = (await pipeline('image-classification', FOLDER, {
  dtype: 'fp32',
  session_options: { intraOpNumThreads: THREADS },
})) as ImageClassificationPipeline;

// transformers.js takes a RawImage (or a URL/path it reads itself); decoding the same bytes on each call keeps
// the work the same on both sides.
const decodePeer = () => RawImage.fromBlob(new Blob([bytes]));

{
  const ours = (await model.run({ image: bytes, topK: 3 })).predictions[0]!;
  const theirs = (await classifier(await decodePeer(), { top_k: 3 })) as { label: string; score: number }[];
  const same = ours.every(
    (p, i) => p.label === theirs[i]?.label && Math.abs(p.score - theirs[i]!.score) < 1e-3,
  );
  if (!same) throw new Error(`labels differ: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`);
}

const sides = (batch: number): [Side, Side] => [
  {
    name: '@mlkit/onnx',
    step: async () =>
      (await model.run({ image: Array.from({ length: batch }, () => bytes), topK: 1 })).predictions.length,
  },
  {
    name: 'transformers.js',
    step: async () => {
      const images = await Promise.all(Array.from({ length: batch }, decodePeer));
      const out = await classifier(images, { top_k: 1 });
      return batch === 1 ? 1 : (out as unknown[]).length;
    },
  },
];

const options = { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 1000 };
const one = await alternate(...sides(1), options);
const eight = await alternate(...sides(8), options);
await model.dispose();
await classifier.dispose();

console.log(`\n${FOLDER}, ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`);
console.log('workload                 @mlkit/onnx img/s  transformers.js img/s  ratio');
for (const [name, m] of [
  ['batch 1', one],
  ['batch 8', eight],
] as const) {
  console.log(
    `${name.padEnd(24)} ${m.ours.median.toFixed(0).padStart(17)} ${m.peer.median.toFixed(0).padStart(22)} ${(m.ours.median / m.peer.median).toFixed(2).padStart(6)}`,
  );
}
console.log(
  resultLine('onnx.image-classification.batch1', one.ours.median, one.peer.median, 'images/s', 1.2),
);
console.log(
  resultLine('onnx.image-classification.batch8', eight.ours.median, eight.peer.median, 'images/s', 1.2),
);
