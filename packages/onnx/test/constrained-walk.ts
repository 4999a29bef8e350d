/** Helpers of the constrained-decoding tests: vocabularies, and walks that pick tokens from the masks. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type CompiledGrammar,
  GrammarMatcher,
  type TokenVocabulary,
  vocabularyOf,
} from '../src/generation/constrained/index.ts';

const fixture = (path: string) => fileURLToPath(new URL(`../../../test/fixtures/${path}`, import.meta.url));

export const TINY_GPT_EOS = 509;

/** tiny-gpt's ByteLevel BPE vocabulary (512 tokens, EOS 509). */
export function tinyGptVocabulary(): TokenVocabulary {
  const json = JSON.parse(readFileSync(fixture('models/tiny-gpt/tokenizer.json'), 'utf8'));
  return vocabularyOf(json, { eosIds: [TINY_GPT_EOS], vocabSize: 512 });
}

/**
 * A ByteLevel BPE tokenizer.json of `size` tokens: the 256 byte tokens, then random byte strings of 1-8
 * bytes, mostly ASCII as real vocabularies are, and `<|endoftext|>` last.
 */
export function syntheticByteLevelTokenizer(size: number, random: () => number = seeded(7)) {
  const byteToChar = gpt2ByteToChar();
  const vocab: Record<string, number> = {};
  let id = 0;
  for (let b = 0; b < 256; b++) vocab[byteToChar[b]!] = id++;
  const ascii = ' abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789{}[]":,._-\n';
  while (id < size - 1) {
    const length = 1 + Math.floor(random() * 8);
    let token = '';
    for (let i = 0; i < length; i++) {
      const byte =
        random() < 0.85 ? ascii.charCodeAt(Math.floor(random() * ascii.length)) : Math.floor(random() * 256);
      token += byteToChar[byte];
    }
    if (!(token in vocab)) vocab[token] = id++;
  }
  return {
    model: { type: 'BPE', vocab, merges: [] },
    added_tokens: [{ id: size - 1, content: '<|endoftext|>', special: true }],
    decoder: { type: 'ByteLevel' },
  };
}

/** {@link syntheticByteLevelTokenizer}'s vocabulary (EOS its last id). */
export function syntheticByteLevelVocabulary(size: number, random?: () => number): TokenVocabulary {
  return vocabularyOf(syntheticByteLevelTokenizer(size, random), { eosIds: [size - 1], vocabSize: size });
}

/** GPT-2's byte-to-character map: printable bytes as themselves, the others shifted past U+0100. */
function gpt2ByteToChar(): string[] {
  const out: string[] = new Array(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : 256 + shifted++);
  }
  return out;
}

/** The schema corpus: `{ name, schema }` entries. */
export function schemaCorpus(): { name: string; schema: Record<string, unknown> }[] {
  return JSON.parse(readFileSync(fixture('json-schemas/corpus.json'), 'utf8'));
}

/** Ids set in a mask. */
export function idsOf(mask: Uint32Array): number[] {
  const out: number[] = [];
  for (let id = 0; id < mask.length * 32; id++) if ((mask[id >>> 5]! >>> (id & 31)) & 1) out.push(id);
  return out;
}

/** A deterministic random source (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Walk {
  text: string;
  tokens: number;
  complete: boolean;
  /** Milliseconds spent in `allowed` + `accept`, per step. */
  msPerStep: number;
}

/** Generate under the grammar with `budget` tokens, choosing each token with `choose` among the allowed ones. */
export function walk(
  compiled: CompiledGrammar,
  budget: number,
  choose: (allowed: number[], matcher: GrammarMatcher) => number,
): Walk {
  const vocabulary = compiled.vocabulary;
  const matcher = new GrammarMatcher(compiled);
  const bytes: number[] = [];
  let tokens = 0;
  let spent = 0;
  for (; tokens < budget && !matcher.finished; tokens++) {
    const start = performance.now();
    const mask = matcher.allowed(budget - tokens);
    spent += performance.now() - start;
    const allowed = idsOf(mask);
    if (allowed.length === 0) throw new Error(`no token allowed after ${JSON.stringify(decode(bytes))}`);
    const id = choose(allowed, matcher);
    const acceptStart = performance.now();
    matcher.accept(id);
    spent += performance.now() - acceptStart;
    if (vocabulary.eosIds.has(id)) break;
    bytes.push(...vocabulary.bytesOf(id)!);
  }
  return { text: decode(bytes), tokens, complete: matcher.complete, msPerStep: spent / Math.max(1, tokens) };
}

/** A random allowed token each step. */
export const randomChoice = (random: () => number) => (allowed: number[]) =>
  allowed[Math.floor(random() * allowed.length)]!;

function decode(bytes: number[]): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
}

/** Feed `text` one byte-token at a time (each byte must be a token of its own); false at the first byte refused. */
export function feed(
  matcher: GrammarMatcher,
  vocabulary: TokenVocabulary,
  text: string | Uint8Array,
): boolean {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const ids = singleByteIds(vocabulary);
  for (const byte of bytes) {
    const id = ids[byte]!;
    const mask = matcher.allowed(1_000_000);
    if (!((mask[id >>> 5]! >>> (id & 31)) & 1)) return false;
    matcher.accept(id);
  }
  return true;
}

const singles = new WeakMap<TokenVocabulary, number[]>();

/** The id of each single-byte token, by byte. */
export function singleByteIds(vocabulary: TokenVocabulary): number[] {
  let ids = singles.get(vocabulary);
  if (!ids) {
    ids = new Array(256).fill(-1);
    for (let id = 0; id < vocabulary.size; id++) {
      const bytes = vocabulary.bytesOf(id);
      if (bytes?.length === 1 && !vocabulary.isAdded(id) && ids[bytes[0]!] === -1) ids[bytes[0]!] = id;
    }
    singles.set(vocabulary, ids);
  }
  return ids;
}
