// Generated tokens/s, greedy, of @mlkit/onnx `text-generation` vs transformers.js (`AutoModelForCausalLM` +
// `generate({ do_sample: false })`, then decoding the new tokens to text as a caller must) on the same folder
// (fixture tiny-gpt, GPT-2 with a KV cache, Optimum names) and prompt, in one process, sequential calls.
// The prompt does not reach eos within MAX_TOKENS, so both sides generate exactly MAX_TOKENS tokens (checked:
// tokens are counted on each side, and both must produce the same text).
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { ensureFixtures, fixturePath, fixturesDir } from '../test/fixtures/paths.ts';
import { alternate, resultLine } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 40);
// One intra-op thread on both sides: the model is too small to gain from more, and spinning worker threads
// make timings on a shared machine swing. Same session options on both sides.
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const MAX_TOKENS = 64;
const PROMPT = 'Hello world';

ensureFixtures();
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${fixturesDir}/`;

const model = await loadModel(fixturePath('tiny-gpt'), {
  task: 'text-generation',
  threads: THREADS,
  // Raw continuation of PROMPT, as transformers.js generate() does with the same input ids.
  chatTemplate: false,
});
const tokenizer = await AutoTokenizer.from_pretrained('tiny-gpt');
const peerModel = await AutoModelForCausalLM.from_pretrained('tiny-gpt', {
  dtype: 'fp32',
  session_options: { intraOpNumThreads: THREADS },
});

async function ours(): Promise<{ text: string; tokens: number }> {
  const { text, usage } = await model.run({ prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: 0 });
  return { text, tokens: usage.outputTokens ?? 0 };
}

async function peer(): Promise<{ text: string; tokens: number }> {
  const inputs = tokenizer(PROMPT);
  const promptLength = inputs.input_ids.dims[1]!;
  const output = (await peerModel.generate({
    ...inputs,
    max_new_tokens: MAX_TOKENS,
    do_sample: false,
  })) as Tensor;
  const generated = output.dims[1]! - promptLength;
  const newIds = output.slice(0, [promptLength, output.dims[1]!]).tolist() as bigint[];
  const text = tokenizer.decode(newIds, { skip_special_tokens: true });
  return { text, tokens: generated };
}

// Same work on both sides, or the comparison means nothing.
{
  const a = await ours();
  const b = await peer();
  if (a.tokens !== b.tokens || a.text !== b.text) {
    throw new Error(
      `the two sides generate differently: ${a.tokens} tokens ${JSON.stringify(a.text)} vs ${b.tokens} tokens ${JSON.stringify(b.text)}`,
    );
  }
  if (a.tokens !== MAX_TOKENS) console.log(`note: eos after ${a.tokens} tokens (counted on both sides)`);
}

const measured = await alternate(
  { name: '@mlkit/onnx', step: async () => (await ours()).tokens },
  { name: 'transformers.js', step: async () => (await peer()).tokens },
  { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 1500 },
);
await model.dispose();
await peerModel.dispose();

console.log(
  `\ntiny-gpt (KV cache), greedy, ${MAX_TOKENS} new tokens per call after "${PROMPT}", ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`,
);
console.log(`@mlkit/onnx       ${measured.ours.median.toFixed(0).padStart(8)} tokens/s`);
console.log(`transformers.js   ${measured.peer.median.toFixed(0).padStart(8)} tokens/s`);
console.log(resultLine('onnx.generate', measured.ours.median, measured.peer.median, 'tokens/s', 1.2));
