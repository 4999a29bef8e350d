// Aggregate tokens/s of STREAMS concurrent greedy streams on one @mlkit/onnx text-generation model with
// continuous batching on (`continuousBatching: { maxBatch: STREAMS }`) vs the same model loaded with it off,
// where each stream decodes alone and the streams take turns on the session. Same folder, threads and
// prompts on both sides; eos is banned so every stream generates exactly MAX_TOKENS tokens. Also: p50/p95
// time to first token of the streams under that load (usage.timeToFirstTokenMs, which counts the wait for a
// place in the batch). Checked first: each stream's text is the same on both sides.
// Models: fixture tiny-gpt, and bench-llama (38.9M parameters, scripts/bench-models/build.sh) where it is built.
import { existsSync, readFileSync } from 'node:fs';
import type { TextGenerationInput } from '@mlkit/core';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { benchModelPath } from '../scripts/bench-models/paths.ts';
import { ensureFixtures, fixturePath } from '../test/fixtures/paths.ts';
import { alternate, resultLine } from './measure.ts';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 16);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

interface Target {
  name: string;
  folder: string;
  maxTokens: number;
  rounds: number;
  roundMs: number;
}

ensureFixtures();
const targets: Target[] = [
  { name: 'tiny-gpt', folder: fixturePath('tiny-gpt'), maxTokens: 48, rounds: 10, roundMs: 400 },
];
if (process.env.BENCH_LLAMA === '0') {
  console.log('BENCH_LLAMA=0: tiny-gpt only');
} else if (existsSync(benchModelPath('bench-llama', 'onnx', 'model.onnx'))) {
  // One round is one batch of streams (each step waits for all of them).
  targets.push({
    name: 'bench-llama',
    folder: benchModelPath('bench-llama'),
    maxTokens: 48,
    rounds: 3,
    roundMs: 1,
  });
} else {
  console.log('bench-llama not built (bash scripts/bench-models/build.sh): tiny-gpt only');
}

/** p-th percentile (0-100) by nearest rank. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

for (const target of targets) {
  const config = JSON.parse(readFileSync(`${target.folder}/config.json`, 'utf8')) as { eos_token_id: number };
  const load = (continuousBatching: false | { maxBatch: number; maxKvTokens: number }) =>
    loadModel(target.folder, {
      task: 'text-generation',
      threads: THREADS,
      chatTemplate: false,
      continuousBatching,
    });
  const batched = await load({ maxBatch: STREAMS, maxKvTokens: 1 << 20 });
  const alone = await load(false);
  // Prompts of different lengths, so rows are padded differently and join at different steps of their own.
  const inputs: TextGenerationInput[] = Array.from({ length: STREAMS }, (_, i) => ({
    prompt: `${'the cat sat on the mat and '.repeat(1 + (i % 4))}then number ${i}`,
    maxTokens: target.maxTokens,
    temperature: 0,
    logitBias: { [config.eos_token_id]: -100 },
  }));

  const ttfts: { on: number[]; off: number[] } = { on: [], off: [] };
  /** All streams at once; resolves with their texts and total tokens. */
  async function streams(
    model: typeof batched,
    ttft: number[],
  ): Promise<{ texts: string[]; tokens: number }> {
    let tokens = 0;
    const texts = await Promise.all(
      inputs.map(async (input) => {
        let text = '';
        for await (const chunk of model.stream(input)) {
          if (chunk.type === 'text-delta') text += chunk.text;
          else if (chunk.type === 'finish') {
            tokens += chunk.usage.outputTokens ?? 0;
            if (chunk.usage.timeToFirstTokenMs !== undefined) ttft.push(chunk.usage.timeToFirstTokenMs);
          }
        }
        return text;
      }),
    );
    return { texts, tokens };
  }

  // Same work on both sides, or the comparison means nothing.
  const on = await streams(batched, []);
  const off = await streams(alone, []);
  const same = on.texts.filter((text, i) => text === off.texts[i]).length;
  if (on.tokens !== off.tokens || on.tokens !== STREAMS * target.maxTokens) {
    throw new Error(`the two sides generate different token counts: ${on.tokens} vs ${off.tokens}`);
  }
  if (same !== STREAMS)
    console.log(`note: ${target.name}: ${STREAMS - same} of ${STREAMS} texts differ batched vs alone`);

  const measured = await alternate(
    { name: 'batching on', step: async () => (await streams(batched, ttfts.on)).tokens },
    { name: 'batching off', step: async () => (await streams(alone, ttfts.off)).tokens },
    { rounds: target.rounds, roundMs: target.roundMs, warmupMs: target.roundMs },
  );
  await batched.dispose();
  await alone.dispose();

  const ms = (values: number[], p: number) => Number(percentile(values, p).toFixed(1));
  console.log(
    `\n${target.name}, ${STREAMS} concurrent greedy streams of ${target.maxTokens} tokens, ${THREADS} thread(s), ${target.rounds} alternating rounds, medians`,
  );
  console.log(
    `batching on    ${measured.ours.median.toFixed(0).padStart(8)} tokens/s   time to first token p50 ${ms(ttfts.on, 50)} ms, p95 ${ms(ttfts.on, 95)} ms`,
  );
  console.log(
    `batching off   ${measured.peer.median.toFixed(0).padStart(8)} tokens/s   time to first token p50 ${ms(ttfts.off, 50)} ms, p95 ${ms(ttfts.off, 95)} ms`,
  );
  const line = JSON.parse(
    resultLine(
      `onnx.continuous-batching ${target.name}`,
      measured.ours.median,
      measured.peer.median,
      'tokens/s',
      4,
    ),
  );
  console.log(
    JSON.stringify({
      ...line,
      ttftMs: {
        on: { p50: ms(ttfts.on, 50), p95: ms(ttfts.on, 95) },
        off: { p50: ms(ttfts.off, 50), p95: ms(ttfts.off, 95) },
      },
      sameTexts: `${same}/${STREAMS}`,
    }),
  );
}
