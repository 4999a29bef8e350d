// Greedy generation with @mlkit/onnx `text-generation` vs transformers.js (`AutoModelForCausalLM` +
// `generate({ do_sample: false })`, then decoding the new tokens as a caller must) on a benchmark-size decoder:
// bench-llama, random weights, LlamaForCausalLM with 38.9M parameters (8 layers, hidden 512, 8 heads, 2 KV
// heads, 32k byte-level BPE, KV cache as Optimum exports it; scripts/bench-models/build.sh builds it, not
// committed). One stream, sequential calls, same process, fp32 and int8 (`q8`, onnx/model_quantized.onnx).
// Two measures per dtype:
// - tokens/s: MAX_TOKENS new tokens after a short prompt (goal 1.2x the peer);
// - time to first token for a 512-token prompt: calls that generate one token (prefill + the first decode),
//   as calls/s, so ratio = the peer's TTFT / ours (goal >= 1.11, i.e. ours <= 0.9x theirs).
// Checked first: both sides generate the same tokens (same count, same text).
// What our side does differently: the fp32 export has no logits_to_keep input, so @mlkit/onnx adds one in
// memory when it opens the session (logits-to-keep.ts) and a prefill computes the lm_head for the last
// position only (about 8.4 of 22 GMAC for 512 tokens, and no [1, 512, 32000] output to copy out); the peer
// runs the graph as exported. The q8 export's lm_head is quantized (DynamicQuantizeLinear + MatMulInteger),
// whose activation scale a slice would change, so it runs as exported on both sides.
// BENCH_LOGITS_TO_KEEP=false measures our side without the added input.
import { availableParallelism } from 'node:os';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  type DataType,
  env,
  type PreTrainedModel,
  type Tensor,
} from '@huggingface/transformers';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { benchModelPath, benchModelsDir, requireBenchModels } from '../scripts/bench-models/paths.ts';
import { alternate, resultLine } from './measure.ts';

requireBenchModels('onnx-generate-large', 'bench-llama');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
// The same intra-op threads on both sides; this model is large enough to use the machine's cores.
const THREADS = Number(process.env.BENCH_THREADS ?? Math.min(4, availableParallelism()));
const DTYPES = (process.env.BENCH_DTYPES ?? 'fp32,q8').split(',') as ('fp32' | 'q8')[];
const MAX_TOKENS = 64;
const LONG_PROMPT_TOKENS = 512;

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${benchModelsDir}/`;

const tokenizer = await AutoTokenizer.from_pretrained('bench-llama');
// Prompts of vocabulary words (so the BPE keeps them whole): a short one, and one of exactly 512 tokens.
const vocabulary = Object.keys(tokenizer.get_vocab())
  .filter((t) => /^Ġ[a-z]{4,}$/.test(t))
  .sort()
  .map((t) => t.slice(1));
// A leading space makes the first word a Ġ-token too: n words are n tokens.
const promptOf = (words: number) =>
  Array.from({ length: words }, (_, i) => ` ${vocabulary[(i * 7919) % vocabulary.length]!}`).join('');
const SHORT_PROMPT = promptOf(12);
let LONG_PROMPT = promptOf(LONG_PROMPT_TOKENS);
const countTokens = (text: string) => tokenizer(text).input_ids.dims[1]! as number;
while (countTokens(LONG_PROMPT) > LONG_PROMPT_TOKENS)
  LONG_PROMPT = LONG_PROMPT.slice(0, LONG_PROMPT.lastIndexOf(' '));
const longTokens = countTokens(LONG_PROMPT);

async function peerGenerate(
  model: PreTrainedModel,
  prompt: string,
  maxTokens: number,
): Promise<{ text: string; tokens: number }> {
  const inputs = tokenizer(prompt);
  const promptLength = inputs.input_ids.dims[1]!;
  const output = (await model.generate({ ...inputs, max_new_tokens: maxTokens, do_sample: false })) as Tensor;
  const newIds = output.slice(0, [promptLength, output.dims[1]!]).tolist() as bigint[];
  return {
    text: tokenizer.decode(newIds, { skip_special_tokens: true }),
    tokens: output.dims[1]! - promptLength,
  };
}

const lines: string[] = [];
const table: { name: string; ours: number; peer: number; unit: string }[] = [];
for (const dtype of DTYPES) {
  const model = await loadModel(benchModelPath('bench-llama'), {
    task: 'text-generation',
    dtype,
    threads: THREADS,
    // Raw continuation of the prompt, as transformers.js generate() does with the same input ids.
    chatTemplate: false,
    // BENCH_LOGITS_TO_KEEP=false: the export's graph as it is (every prompt position's logits), as the peer.
    logitsToKeep: process.env.BENCH_LOGITS_TO_KEEP !== 'false',
  });
  const peerModel = await AutoModelForCausalLM.from_pretrained('bench-llama', {
    dtype: dtype as DataType,
    session_options: { intraOpNumThreads: THREADS },
  });
  const ours = async (prompt: string, maxTokens: number) => {
    const { text, usage } = await model.run({ prompt, maxTokens, temperature: 0 });
    return { text, tokens: usage.outputTokens ?? 0 };
  };

  // Same work on both sides, or the comparison means nothing.
  for (const [prompt, maxTokens] of [
    [SHORT_PROMPT, MAX_TOKENS],
    [LONG_PROMPT, 8],
  ] as const) {
    const a = await ours(prompt, maxTokens);
    const b = await peerGenerate(peerModel, prompt, maxTokens);
    if (a.tokens !== b.tokens || a.text !== b.text) {
      throw new Error(
        `${dtype}: the two sides generate differently: ${a.tokens} tokens ${JSON.stringify(a.text)} vs ${b.tokens} tokens ${JSON.stringify(b.text)}`,
      );
    }
    if (a.tokens !== maxTokens)
      console.log(`note: ${dtype}: eos after ${a.tokens} tokens (counted on both sides)`);
  }

  const decode = await alternate(
    { name: '@mlkit/onnx', step: async () => (await ours(SHORT_PROMPT, MAX_TOKENS)).tokens },
    {
      name: 'transformers.js',
      step: async () => (await peerGenerate(peerModel, SHORT_PROMPT, MAX_TOKENS)).tokens,
    },
    { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 2000 },
  );
  const first = await alternate(
    { name: '@mlkit/onnx', step: async () => ((await ours(LONG_PROMPT, 1)).tokens === 1 ? 1 : 0) },
    {
      name: 'transformers.js',
      step: async () => ((await peerGenerate(peerModel, LONG_PROMPT, 1)).tokens === 1 ? 1 : 0),
    },
    { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 2000 },
  );
  await model.dispose();
  await peerModel.dispose();
  const suffix = dtype === 'fp32' ? '' : `.${dtype}`;
  table.push({
    name: `${dtype}, tokens/s`,
    ours: decode.ours.median,
    peer: decode.peer.median,
    unit: 'tokens/s',
  });
  table.push({
    name: `${dtype}, TTFT ${longTokens} tokens`,
    ours: 1000 / first.ours.median,
    peer: 1000 / first.peer.median,
    unit: 'ms',
  });
  lines.push(
    resultLine(`onnx.generate-large${suffix}`, decode.ours.median, decode.peer.median, 'tokens/s', 1.2),
  );
  // calls/s of one-token calls: ratio = peer TTFT / ours; >= 1.11 means ours <= 0.9x theirs.
  lines.push(
    resultLine(
      `onnx.generate-large.ttft${suffix}`,
      first.ours.median,
      first.peer.median,
      'first-tok/s',
      1.11,
    ),
  );
}

console.log(
  `\nbench-llama (38.9M, GQA, KV cache), greedy, ${MAX_TOKENS} new tokens after a ${countTokens(SHORT_PROMPT)}-token prompt; TTFT of a ${longTokens}-token prompt; ${THREADS} threads, ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`,
);
console.log('measure                    @mlkit/onnx  transformers.js  unit      peer/ours or ours/peer');
for (const r of table) {
  const ratio = r.unit === 'ms' ? r.peer / r.ours : r.ours / r.peer;
  console.log(
    `${r.name.padEnd(26)} ${r.ours.toFixed(1).padStart(11)} ${r.peer.toFixed(1).padStart(16)}  ${r.unit.padEnd(9)} ${ratio.toFixed(2).padStart(6)}`,
  );
}
for (const line of lines) console.log(line);
