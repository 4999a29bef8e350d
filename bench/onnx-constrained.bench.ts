// What constrained decoding costs: generated tokens/s, greedy, of @mlkit/onnx `text-generation` with
// `responseFormat: { type: 'json', schema }` (every step masked by the schema's grammar) vs the same model,
// prompt and number of tokens unconstrained (maxTokens = the constrained run's token count), on the
// tiny-gpt-tools fixture (GPT-2 with a KV cache, 514 tokens, a chat template). One process, sequential calls,
// alternating rounds, medians. Then the mask alone: GrammarMatcher.allowed + accept (and applyMask) timed over
// the very token sequence the constrained run generated, on a fresh grammar and on one whose masks are cached;
// and the same document on a synthetic 32k-token ByteLevel vocabulary, to show the mask at a real model's size.
//
// The decoder is tiny (2 layers, 32 wide), so a model step costs little and the mask's share is as large as
// it gets; on a real model the step dominates.
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import {
  applyMask,
  compileGrammar,
  GrammarMatcher,
  type TokenVocabulary,
  vocabularyOf,
} from '../packages/onnx/src/generation/constrained/index.ts';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { schemaCorpus, syntheticByteLevelTokenizer } from '../packages/onnx/test/constrained-walk.ts';
import { ensureFixtures, fixturePath } from '../test/fixtures/paths.ts';
import { alternate, median, resultLine } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 120);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 60);
// One intra-op thread, as bench/onnx-generate: the model is too small to gain from more.
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const SCHEMA_NAME = 'defs and ref';
const MESSAGES = [{ role: 'user' as const, content: 'Give the user as JSON.' }];

ensureFixtures();
const folder = fixturePath('tiny-gpt-tools');
const schema = schemaCorpus().find((entry) => entry.name === SCHEMA_NAME)!.schema;

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

/** ms per step of one pass of a matcher over `sequence` (`withMask`: applyMask on a logits row too). */
function maskPass(
  compiled: ReturnType<typeof compileGrammar>,
  sequence: readonly number[],
  withMask: boolean,
): number {
  const logitsRow = new Float32Array(compiled.vocabulary.size);
  const matcher = new GrammarMatcher(compiled);
  const started = performance.now();
  for (const [step, token] of sequence.entries()) {
    const mask = matcher.allowed(constrainedInput.maxTokens - step);
    if (withMask) applyMask(logitsRow.fill(0), mask);
    matcher.accept(token);
  }
  const ms = performance.now() - started;
  if (!matcher.finished) throw new Error('the matcher did not finish on the generated sequence');
  return ms / sequence.length;
}

/**
 * Medians of ms per step: on fresh grammars (cached per vocabulary object, so a new one each time: every
 * state and mask computed on the way, as on the first call with a schema), then on one grammar whose
 * masks are cached, without and with applyMask.
 */
function maskCosts(readVocab: () => TokenVocabulary, sequence: readonly number[]) {
  const cold = Array.from({ length: 5 }, () =>
    maskPass(compileGrammar({ type: 'json', schema }, readVocab()), sequence, false),
  );
  const grammar = compileGrammar({ type: 'json', schema }, readVocab());
  for (let i = 0; i < 20; i++) maskPass(grammar, sequence, false);
  const warm = Array.from({ length: 100 }, () => maskPass(grammar, sequence, false));
  const withApply = Array.from({ length: 100 }, () => maskPass(grammar, sequence, true));
  return { cold: median(cold), warm: median(warm), withApply: median(withApply) };
}
const small = maskCosts(readVocabulary, generated);

// The same document on a 32k-token ByteLevel vocabulary (a real model's size), tokenized greedily: at each
// step the longest token that the mask allows and that continues the document's bytes.
const bigJson = syntheticByteLevelTokenizer(32_000);
const readBig = () => vocabularyOf(bigJson, { eosIds: [31_999], vocabSize: 32_000 });
const bigSequence: number[] = [];
{
  const big = readBig();
  const matcher = new GrammarMatcher(compileGrammar({ type: 'json', schema }, big));
  let at = 0;
  while (at < textBytes.length) {
    const mask = matcher.allowed(constrainedInput.maxTokens - bigSequence.length);
    let best = -1;
    let bestLength = 0;
    for (let id = 0; id < big.size; id++) {
      if (!((mask[id >>> 5]! >>> (id & 31)) & 1)) continue;
      const bytes = big.bytesOf(id);
      if (!bytes || bytes.length <= bestLength || at + bytes.length > textBytes.length) continue;
      if (bytes.every((byte, k) => byte === textBytes[at + k])) {
        best = id;
        bestLength = bytes.length;
      }
    }
    if (best < 0) throw new Error('the 32k vocabulary cannot spell the document');
    matcher.accept(best);
    bigSequence.push(best);
    at += bestLength;
  }
}
const large = maskCosts(readBig, bigSequence);
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
for (const [label, costs, steps] of [
  [`tiny-gpt-tools (${config.vocab_size} tokens)`, small, generated.length],
  ['synthetic ByteLevel (32k tokens)', large, bigSequence.length],
] as const) {
  console.log(
    `mask per step, ${label}, the document in ${steps} tokens (allowed + accept): ${costs.cold.toFixed(4)} ms on a fresh grammar, ${costs.warm.toFixed(4)} ms with masks cached, ${costs.withApply.toFixed(4)} ms with applyMask too`,
  );
}
console.log(resultLine('onnx.constrained', measured.ours.median, measured.peer.median, 'tokens/s', 0.7));
