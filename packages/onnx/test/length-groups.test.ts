import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupByLength, RUN_COST_TOKENS } from '../src/tokenizer.ts';
import { fixture, loadInferred, maxAbsDiff } from './support.ts';

const short = ['hi', 'ok', 'yes', 'no'];
const long = [
  'The actors were great and the music was excellent, but the ending was far too long for me to enjoy it.',
  'It broke after one day, and the shop would not give me my money back, so I will never buy there again.',
];
// Short and long texts interleaved, so that grouping by length must reorder them and put them back.
const mixed = [short[0]!, long[0]!, short[1]!, short[2]!, long[1]!, short[3]!];

describe('groupByLength', () => {
  const sorted = (groups: number[][]) => groups.flat().sort((a, b) => a - b);

  it('keeps texts of one length in one run', () => {
    expect(groupByLength([9, 9, 9, 9, 9])).toEqual([[0, 1, 2, 3, 4]]);
  });

  it('puts short and long texts in separate runs when that saves more padding than a run costs', () => {
    const lengths = [3, 40, 3, 3, 40, 3];
    const groups = groupByLength(lengths);
    expect(groups).toEqual([
      [0, 2, 3, 5],
      [1, 4],
    ]);
  });

  it('keeps one run when the padding saved does not pay for another run', () => {
    // Splitting off the 12 would save 4 * (12 - 4) = 32 padded tokens, less than a run costs.
    expect(32).toBeLessThan(RUN_COST_TOKENS);
    expect(groupByLength([4, 4, 12, 4, 4])).toEqual([[0, 1, 3, 4, 2]]);
  });

  it('prefers fewer runs on a tie', () => {
    // Run cost 10, lengths [1, 11]: one run = 10 + 2 * 11 = 32 = two runs (10 + 1) + (10 + 11).
    expect(groupByLength([1, 11], 10)).toEqual([[0, 1]]);
  });

  it('returns every index once, groups sorted by length', () => {
    const lengths = [17, 5, 30, 5, 12, 64, 1, 33, 8, 8, 50, 2];
    const groups = groupByLength(lengths, 8);
    expect(sorted(groups)).toEqual(lengths.map((_, i) => i));
    const flat = groups.flat().map((i) => lengths[i]!);
    expect(flat).toEqual([...flat].sort((a, b) => a - b));
  });

  it('handles an empty and a one-row batch', () => {
    expect(groupByLength([])).toEqual([[]]);
    expect(groupByLength([7])).toEqual([[0]]);
  });
});

describe('batches of mixed lengths', () => {
  it('embeds short and long texts in separate runs, each vector equal to the text embedded alone within 1e-5', async () => {
    const model = await loadInferred('embedding', fixture('tiny-bert'));
    const together = await model.run({ texts: mixed });
    expect(model.describe().runs).toBe(2);
    for (let i = 0; i < mixed.length; i++) {
      const alone = await model.run({ texts: [mixed[i]!] });
      expect(maxAbsDiff(together.embeddings[i]!, alone.embeddings[0]!)).toBeLessThan(1e-5);
    }
    const tokens = await Promise.all(mixed.map((text) => model.run({ texts: [text] })));
    expect(together.usage.inputTokens).toBe(tokens.reduce((sum, r) => sum + (r.usage.inputTokens ?? 0), 0));
    await model.dispose();
  });

  it('classifies short and long texts in separate runs, predictions in input order equal to single calls', async () => {
    const model = await loadInferred('classification', fixture('tiny-bert-sentiment'));
    const together = await model.run({ text: mixed });
    expect(model.describe().runs).toBe(2);
    for (let i = 0; i < mixed.length; i++) {
      const alone = await model.run({ text: mixed[i]! });
      expect(together.predictions[i]!.label).toBe(alone.predictions[0]!.label);
      expect(
        maxAbsDiff(
          Object.values(together.predictions[i]!.scores),
          Object.values(alone.predictions[0]!.scores),
        ),
      ).toBeLessThan(1e-5);
    }
    await model.dispose();
  });
});

describe('default micro-batching window', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a lone call without waiting on a timer for company', async () => {
    const model = await loadInferred('embedding', fixture('tiny-bert'));
    vi.useFakeTimers({ toFake: ['setTimeout'] }); // a call that waited on setTimeout would never finish
    const { embeddings } = await model.run({ texts: ['hello world'] });
    expect(embeddings).toHaveLength(1);
    vi.useRealTimers();
    await model.dispose();
  });

  it('still packs calls made together into one run', async () => {
    const model = await loadInferred('embedding', fixture('tiny-bert'));
    await Promise.all(['a cat', 'a dog', 'a bird'].map((text) => model.run({ texts: [text] })));
    expect(model.describe().runs).toBe(1);
    expect(model.describe().batches).toBe(1);
    await model.dispose();
  });
});
