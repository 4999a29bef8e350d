import { describe, expect, it } from 'vitest';
import { IncrementalDecoder, rememberingSingleTokens } from '../src/generation/detokenizer.ts';
import { argmax, sample, seededRandom } from '../src/generation/sampling.ts';
import { StopScanner } from '../src/generation/stop.ts';

describe('sampling', () => {
  it('argmax picks the first of equal maxima, as torch.argmax does', () => {
    expect(argmax(new Float32Array([1, 5, 5, 2]))).toBe(1);
    expect(argmax(new Float32Array([0, 0, 3, 9, 1, 9]), 2, 4)).toBe(1);
  });

  it('draws the same tokens from the same seed and different ones from another', () => {
    const logits = new Float32Array(Array.from({ length: 64 }, (_, i) => Math.sin(i) * 2));
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 40 }, () => sample(logits, { temperature: 1 }, random));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('top-k keeps only the k most likely tokens', () => {
    const logits = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);
    const random = seededRandom(1);
    const seen = new Set(
      Array.from({ length: 300 }, () => sample(logits, { temperature: 5, topK: 3 }, random)),
    );
    expect([...seen].sort()).toEqual([5, 6, 7]);
  });

  it('top-p keeps the smallest set of tokens whose probability reaches p', () => {
    // Probabilities ~ 0.64, 0.24, 0.09, 0.03: p = 0.8 keeps the first two.
    const logits = new Float32Array([3, 2, 1, 0]);
    const random = seededRandom(9);
    const seen = new Set(
      Array.from({ length: 300 }, () => sample(logits, { temperature: 1, topP: 0.8 }, random)),
    );
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('a low temperature concentrates the draws on the most likely token', () => {
    const logits = new Float32Array([1, 2, 1.5]);
    const random = seededRandom(3);
    const draws = Array.from({ length: 100 }, () => sample(logits, { temperature: 0.01 }, random));
    expect(draws.every((t) => t === 1)).toBe(true);
  });
});

describe('StopScanner', () => {
  it('finds the earliest stop sequence', () => {
    const scanner = new StopScanner(['END', 'stop']);
    expect(scanner.find('go on, stop here END', 0)).toBe(7);
    expect(scanner.find('nothing here', 0)).toBe(-1);
  });

  it('finds a stop sequence split across tokens once its last part arrives', () => {
    const scanner = new StopScanner(['<END>']);
    let text = 'hello <E';
    expect(scanner.find(text, 0)).toBe(-1);
    text += 'ND> more';
    expect(scanner.find(text, 6)).toBe(6);
  });

  it('holds back text that may be the start of a stop sequence, and only that', () => {
    const scanner = new StopScanner(['\n\nUser:', 'xyz']);
    expect(scanner.safeLength('Answer.\n\nUs')).toBe('Answer.'.length);
    expect(scanner.safeLength('Answer. x')).toBe('Answer. '.length);
    expect(scanner.safeLength('Answer.')).toBe('Answer.'.length);
  });
});

/** Byte-level tokens: each token is some bytes; decoding joins them and replaces broken UTF-8 with U+FFFD. */
function byteTokens(text: string, cuts: number[]): { ids: number[]; decode: (ids: number[]) => string } {
  const bytes = new TextEncoder().encode(text);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.slice(start, cut));
    start = cut;
  }
  const decoder = new TextDecoder();
  return {
    ids: pieces.map((_, i) => i),
    decode: (ids) => decoder.decode(Uint8Array.from(ids.flatMap((id) => [...pieces[id]!]))),
  };
}

describe('IncrementalDecoder', () => {
  it('never emits half a character when a multi-byte character spans tokens', () => {
    // "é" is 2 bytes, "🙂" is 4 bytes: cut inside both.
    const text = 'caf\u00e9 \u{1F642}!';
    const { ids, decode } = byteTokens(text, [4, 7, 8, 9]);
    const decoder = new IncrementalDecoder(decode);
    const deltas = ids.map((id) => decoder.push(id));
    deltas.push(decoder.flush());
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD');
    expect(deltas.join('')).toBe(text);
  });

  it('gives back an incomplete character at the end as U+FFFD on flush', () => {
    const { ids, decode } = byteTokens('a\u00e9', [1, 2]);
    const decoder = new IncrementalDecoder(decode);
    expect(decoder.push(ids[0]!)).toBe('a');
    expect(decoder.push(ids[1]!)).toBe('');
    expect(decoder.flush()).toBe('\uFFFD');
  });

  it('keeps spacing that depends on the previous token', () => {
    // A SentencePiece-like decode: "▁" marks a space, dropped at the start of the decoded text.
    const vocab = ['▁Hello', '▁wor', 'ld', '!'];
    const decode = (ids: number[]) =>
      ids
        .map((id) => vocab[id]!)
        .join('')
        .replace(/▁/g, ' ')
        .replace(/^ /, '');
    const decoder = new IncrementalDecoder(decode);
    const text = [0, 1, 2, 3].map((id) => decoder.push(id)).join('') + decoder.flush();
    expect(text).toBe('Hello world!');
  });
});

describe('rememberingSingleTokens', () => {
  /** The SentencePiece-like decode above, counting the windows it decodes. */
  function counted() {
    const vocab = ['▁Hello', '▁wor', 'ld', '!', '▁again'];
    const windows: number[][] = [];
    const decode = (ids: number[]) => {
      windows.push(ids);
      return ids
        .map((id) => vocab[id]!)
        .join('')
        .replace(/▁/g, ' ')
        .replace(/^ /, '');
    };
    return { decode, windows };
  }
  const ids = [0, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3];

  it('gives the incremental decoder the same text with about one window per token instead of two', () => {
    const plain = counted();
    const remembering = counted();
    const run = (decode: (ids: number[]) => string) => {
      const decoder = new IncrementalDecoder(decode);
      return ids.map((id) => decoder.push(id)).join('') + decoder.flush();
    };
    const expected = run(plain.decode);
    expect(run(rememberingSingleTokens(remembering.decode))).toBe(expected);
    expect(expected).toBe('Hello world! again world! again world!');
    expect(plain.windows).toHaveLength(2 * ids.length);
    // The 5 distinct tokens' single windows once each, then only the two-token windows.
    expect(remembering.windows.filter((window) => window.length === 1)).toHaveLength(5);
    expect(remembering.windows.length).toBeLessThanOrEqual(ids.length + 5);
  });

  it('remembers at most `capacity` tokens and decodes the others each time', () => {
    const { decode, windows } = counted();
    const remembering = rememberingSingleTokens(decode, 2);
    for (const id of [0, 1, 2, 0, 1, 2]) remembering([id]);
    expect(windows.map((window) => window[0])).toEqual([0, 1, 2, 2]);
    expect(remembering([0, 1])).toBe('Hello wor');
  });
});
