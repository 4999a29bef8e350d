import { describe, expect, it } from 'vitest';
import { LogitsProcessor } from '../src/generation/sampling.ts';

const row = () => new Float32Array([1, 2, 3, 4]);

describe('LogitsProcessor (OpenAI semantics)', () => {
  it('subtracts count * frequency_penalty + presence_penalty from each generated token', () => {
    const processor = new LogitsProcessor({ frequencyPenalty: 0.5, presencePenalty: 1 });
    processor.record(1);
    processor.record(1);
    processor.record(3);
    // token 1: 2 - (2 * 0.5 + 1) = 0; token 3: 4 - (1 * 0.5 + 1) = 2.5; the others untouched.
    expect(Array.from(processor.apply(row()))).toEqual([1, 0, 3, 2.5]);
  });

  it('leaves tokens never generated alone, the prompt included', () => {
    const processor = new LogitsProcessor({ frequencyPenalty: 2, presencePenalty: 2 });
    expect(Array.from(processor.apply(row()))).toEqual([1, 2, 3, 4]);
  });

  it('negative penalties favour repeats', () => {
    const processor = new LogitsProcessor({ presencePenalty: -1.5 });
    processor.record(0);
    expect(processor.apply(row())[0]).toBe(2.5);
  });

  it('adds logit_bias per token id, and -100 bans the token outright', () => {
    const processor = new LogitsProcessor({ logitBias: { 0: 2.5, 3: -100 } });
    expect(Array.from(processor.apply(row()))).toEqual([3.5, 2, 3, Number.NEGATIVE_INFINITY]);
  });

  it('adjusts the row it was given in place (a decode step reads its row once) and returns it', () => {
    const logits = row();
    expect(new LogitsProcessor({ logitBias: { 1: 10 } }).apply(logits)).toBe(logits);
    expect(Array.from(logits)).toEqual([1, 12, 3, 4]);
  });

  it('refuses a biased token id past the vocabulary with an InvalidInputError naming it', () => {
    const processor = new LogitsProcessor({ logitBias: { 7: 1 } });
    expect(() => processor.apply(row())).toThrow(/input\.logitBias: token id 7 is outside .* 4 tokens/);
  });

  it('knows when there is nothing to do', () => {
    expect(LogitsProcessor.isNoop({})).toBe(true);
    expect(LogitsProcessor.isNoop({ frequencyPenalty: 0, presencePenalty: 0, logitBias: {} })).toBe(true);
    expect(LogitsProcessor.isNoop({ presencePenalty: 0.1 })).toBe(false);
  });
});
