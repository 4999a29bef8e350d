import { checkAgainstSchema } from '@mlkit/core/json-schema';
import { describe, expect, it } from 'vitest';
import { compileGrammar, GrammarMatcher } from '../src/generation/constrained/index.ts';
import {
  randomChoice,
  schemaCorpus,
  seeded,
  syntheticByteLevelVocabulary,
  tinyGptVocabulary,
  walk,
} from './constrained-walk.ts';

const vocabulary = tinyGptVocabulary();
const corpus = schemaCorpus();
const SEEDS = [1, 2, 3, 4, 5, 6];
const BUDGET = 200;

/** The walk's text parses as JSON and the schema accepts it; else a reason. */
function problem(schema: Record<string, unknown>, text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message}): ${text}`;
  }
  const check = checkAgainstSchema(schema, value);
  return check.success ? undefined : `${JSON.stringify(check.issues)}: ${text}`;
}

describe('schema corpus', () => {
  it('holds at least 30 schemas', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  it('random walks within 200 tokens always end in a document the schema accepts', () => {
    const failures: string[] = [];
    let runs = 0;
    for (const { name, schema } of corpus) {
      const compiled = compileGrammar({ type: 'json', schema }, vocabulary);
      for (const seed of SEEDS) {
        runs++;
        const result = walk(compiled, BUDGET, randomChoice(seeded(seed)));
        const why = result.complete ? problem(schema, result.text) : `incomplete: ${result.text}`;
        if (why) failures.push(`${name} (seed ${seed}): ${why}`);
      }
    }
    console.log(
      `random walks: ${runs - failures.length}/${runs} valid (${corpus.length} schemas x ${SEEDS.length} seeds)`,
    );
    expect(failures).toEqual([]);
  });

  it('walks with a budget of the shortest document plus 2 tokens still complete', () => {
    const failures: string[] = [];
    for (const { name, schema } of corpus) {
      const compiled = compileGrammar({ type: 'json', schema }, vocabulary);
      const budget = new GrammarMatcher(compiled).minTokensToComplete + 2;
      for (const seed of SEEDS) {
        const result = walk(compiled, budget, randomChoice(seeded(seed)));
        const why = result.complete ? problem(schema, result.text) : `incomplete: ${result.text}`;
        if (why) failures.push(`${name} (budget ${budget}, seed ${seed}): ${why}`);
      }
    }
    expect(failures).toEqual([]);
  });

  // Adversarial "logits": always the same kind of preference, which loops forever without the whitespace and budget bounds.
  const adversaries: [string, (allowed: number[]) => number][] = [
    ['whitespace first', (allowed) => pick(allowed, (id) => (isSpace(id) ? 1000 : 0) + length(id))],
    ['the longest token', (allowed) => pick(allowed, (id) => length(id))],
    ['the highest id', (allowed) => allowed[allowed.length - 1]!],
    [
      'never EOS, longest otherwise',
      (allowed) => pick(allowed, (id) => (vocabulary.eosIds.has(id) ? -1 : length(id))),
    ],
  ];
  for (const [name, choose] of adversaries) {
    it(`greedy walks preferring ${name} terminate with a valid document`, () => {
      const failures: string[] = [];
      for (const { name: schemaName, schema } of corpus) {
        const result = walk(compileGrammar({ type: 'json', schema }, vocabulary), BUDGET, choose);
        const why = result.complete ? problem(schema, result.text) : `incomplete: ${result.text}`;
        if (why) failures.push(`${schemaName}: ${why}`);
      }
      console.log(`greedy (${name}): ${corpus.length - failures.length}/${corpus.length} valid`);
      expect(failures).toEqual([]);
    });
  }
});

function length(id: number): number {
  return vocabulary.bytesOf(id)?.length ?? 0;
}
function isSpace(id: number): boolean {
  const bytes = vocabulary.bytesOf(id);
  return !!bytes && bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d);
}
function pick(allowed: number[], score: (id: number) => number): number {
  let best = allowed[0]!;
  for (const id of allowed) if (score(id) > score(best)) best = id;
  return best;
}

describe('per-step cost (printed, not asserted)', () => {
  it('measures tiny-gpt and a synthetic 32k ByteLevel vocabulary', () => {
    const schema = corpus.find((entry) => entry.name === 'nested objects')!.schema;
    const big = syntheticByteLevelVocabulary(32_000, seeded(7));
    for (const [label, vocab] of [
      ['tiny-gpt (512 tokens)', vocabulary],
      ['synthetic ByteLevel (32k tokens)', big],
    ] as const) {
      // maxWhitespace 1: a grammar the tests above have not compiled (and cached) yet.
      const compiled = compileGrammar({ type: 'json', schema }, vocab, { maxWhitespace: 1 });
      const cold = walk(compiled, 200, randomChoice(seeded(11)));
      const warm = walk(compiled, 200, randomChoice(seeded(11)));
      const other = walk(compiled, 200, randomChoice(seeded(12)));
      console.log(
        `${label}: ${cold.msPerStep.toFixed(3)} ms/step on a fresh grammar, ${warm.msPerStep.toFixed(3)} ms/step repeating it, ${other.msPerStep.toFixed(3)} ms/step on another walk (${cold.tokens} tokens)`,
      );
      expect(cold.complete && warm.complete && other.complete).toBe(true);
    }
  });
});
