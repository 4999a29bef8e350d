// What constrained decoding costs: generated tokens/s, greedy, of @mlkit/onnx `text-generation` with
// `responseFormat: { type: 'json', schema }` (every step masked by the schema's grammar) vs the same model,
// prompt and number of tokens unconstrained (maxTokens = the constrained run's token count), on the
// tiny-gpt-tools fixture (GPT-2 with a KV cache, 514 tokens, a chat template). One process, sequential calls,
// alternating rounds, medians. Then the mask alone: GrammarMatcher.allowed + accept (and applyMask) timed over
// the very token sequence the constrained run generated, on a fresh grammar and on one whose masks are cached.
//
// The decoder is tiny (2 layers, 32 wide), so a model step costs little and the mask's share is as large as
// it gets; on a real model the step dominates.
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import {
  applyMask,
  compileGrammar,
  GrammarMatcher,
  vocabularyOf,
} from '../packages/onnx/src/generation/constrained/index.ts';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { ensureFixtures, fixturePath, repoRoot } from '../test/fixtures/paths.ts';
import { alternate, median, resultLine } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 120);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 60);
// One intra-op thread, as bench/onnx-generate: the model is too small to gain from more.
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const SCHEMA_NAME = 'defs and ref';
const MESSAGES = [{ role: 'user' as const, content: 'Give the user as JSON.' }];

ensureFixtures();
const folder = fixturePath('tiny-gpt-tools');
const corpus = JSON.parse(readFileSync(`${repoRoot}/test/fixtures/json-schemas/corpus.json`, 'utf8')) as {
  name: string;
  schema: Record<string, unknown>;
}[];
const schema = corpus.find((entry) => entry.name === SCHEMA_NAME)!.schema;

// The token ids the decoder is fed: with a KV cache every step after the first feeds the previous token.
const fed: number[][] = [];
type Session = {
  run(
    feeds: Record<string, { dims: readonly number[]; data: unknown }>,
    ...rest: unknown[]
  ): Promise<unknown>;
};
const ort = ((ortNode as { default?: typeof ortNode }).default ?? ortNode) as unknown as {
  InferenceSession: { create: (...args: unknown[]) => Promise<Session> };
};
const create = ort.InferenceSession.create;
ort.InferenceSession.create = async function (this: unknown, ...args: unknown[]) {
  const session = await create.apply(this, args);
  const run = session.run.bind(session);
  session.run = (feeds, ...rest) => {
    fed.at(-1)?.push(...Array.from(feeds.input_ids!.data as BigInt64Array, Number));
    return run(feeds, ...rest);
  };
  return session;
};

const model = await loadModel(folder, { task: 'text-generation', threads: THREADS });

const constrainedInput = {
  messages: MESSAGES,
  responseFormat: { type: 'json' as const, schema },
  maxTokens: 400,
  temperature: 0,
};
fed.push([]);
const reference = await model.run(constrainedInput);
const recording = fed.pop()!;
const tokens = reference.usage.outputTokens ?? 0;
const freeInput = { messages: MESSAGES, maxTokens: tokens, temperature: 0 };

async function constrained(): Promise<number> {
  return (await model.run(constrainedInput)).usage.outputTokens ?? 0;
}
async function free(): Promise<number> {
  return (await model.run(freeInput)).usage.outputTokens ?? 0;
}

// Same work on both sides, or the comparison means nothing.
{
  const free1 = await model.run(freeInput);
  if (reference.finishReason !== 'stop' || reference.rawFinishReason !== 'grammar_complete') {
    throw new Error(`the constrained run did not complete its document: ${JSON.stringify(reference)}`);
  }
  if (free1.usage.outputTokens !== tokens) {
    throw new Error(
      `the unconstrained run generated ${free1.usage.outputTokens} tokens, the constrained ${tokens}: ${JSON.stringify(free1.text)}`,
    );
  }
}

const measured = await alternate(
  { name: 'constrained', step: constrained },
  { name: 'unconstrained', step: free },
  { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 1500 },
);

// --- the mask alone, over the generated sequence ---------------------------------------------------
const json = (file: string) => JSON.parse(readFileSync(`${folder}/${file}`, 'utf8'));
const config = json('config.json');
const readVocabulary = () =>
  vocabularyOf(json('tokenizer.json'), {
    eosIds: [...new Set([config.eos_token_id, ...json('generation_config.json').eos_token_id])],
    vocabSize: config.vocab_size,
  });
const vocabulary = readVocabulary();
// The prompt is the first feed; the last generated token completed the document, so it was never fed:
// it is the one token whose bytes are what the text still lacks.
const promptLength = recording.length - (tokens - 1);
const generated = recording.slice(promptLength);
const sequenceBytes = generated.flatMap((id) => [...vocabulary.bytesOf(id)!]);
const textBytes = [...new TextEncoder().encode(reference.text)];
const rest = textBytes.slice(sequenceBytes.length).join(',');
const last = Array.from({ length: vocabulary.size }, (_, id) => id).find(
  (id) => !vocabulary.eosIds.has(id) && Array.from(vocabulary.bytesOf(id) ?? []).join(',') === rest,
);
if (last === undefined) throw new Error('cannot tell the last generated token from the text');
generated.push(last);

const logitsRow = new Float32Array(config.vocab_size);
/** ms per step of one pass of a matcher over the sequence (`withMask`: applyMask on a logits row too). */
function maskPass(compiled: ReturnType<typeof compileGrammar>, withMask: boolean): number {
  const matcher = new GrammarMatcher(compiled);
  const started = performance.now();
  for (const [step, token] of generated.entries()) {
    const mask = matcher.allowed(constrainedInput.maxTokens - step);
    if (withMask) applyMask(logitsRow.fill(0), mask);
    matcher.accept(token);
  }
  const ms = performance.now() - started;
  if (!matcher.finished) throw new Error('the matcher did not finish on the generated sequence');
  return ms / generated.length;
}
// A fresh grammar each time (grammars are cached per vocabulary, so a new vocabulary object): every state
// and mask is computed on the way, as on the first call with a schema.
const cold = Array.from({ length: 5 }, () =>
  maskPass(compileGrammar({ type: 'json', schema }, readVocabulary()), false),
);
const warmGrammar = compileGrammar({ type: 'json', schema }, vocabulary);
for (let i = 0; i < 20; i++) maskPass(warmGrammar, false);
const warm = Array.from({ length: 200 }, () => maskPass(warmGrammar, false));
const warmWithApply = Array.from({ length: 200 }, () => maskPass(warmGrammar, true));
await model.dispose();

const ratio = measured.ours.median / measured.peer.median;
console.log(
  `\ntiny-gpt-tools (KV cache, ${config.vocab_size} tokens), greedy, schema "${SCHEMA_NAME}" from test/fixtures/json-schemas/corpus.json: ${tokens} tokens per call on both sides, ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, medians`,
);
console.log(`constrained (responseFormat json)   ${measured.ours.median.toFixed(0).padStart(8)} tokens/s`);
console.log(
  `unconstrained (maxTokens ${tokens})`.padEnd(36),
  `${measured.peer.median.toFixed(0).padStart(8)} tokens/s`,
);
console.log(`ratio                               ${ratio.toFixed(2).padStart(8)}`);
console.log(
  `mask per step over the ${generated.length} generated tokens (allowed + accept): ${median(cold).toFixed(4)} ms on a fresh grammar, ${median(warm).toFixed(4)} ms with masks cached, ${median(warmWithApply).toFixed(4)} ms with applyMask too`,
);
console.log(resultLine('onnx.constrained', measured.ours.median, measured.peer.median, 'tokens/s', 0.7));
