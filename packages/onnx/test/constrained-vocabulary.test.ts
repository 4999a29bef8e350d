import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import {
  compiledGrammarCount,
  compileGrammar,
  GrammarMatcher,
  vocabularyOf,
} from '../src/generation/constrained/index.ts';
import { idsOf, randomChoice, seeded, TINY_GPT_EOS, tinyGptVocabulary, walk } from './constrained-walk.ts';

const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

describe('ByteLevel BPE (tiny-gpt)', () => {
  const vocabulary = tinyGptVocabulary();
  it('maps the byte-to-unicode characters back to bytes', () => {
    // Token 506 is "ĠThis": Ġ stands for the space byte.
    expect(text(vocabulary.bytesOf(506))).toBe(' This');
    expect([...vocabulary.bytesOf(0)!]).toEqual([0x00]);
  });
  it('gives special tokens and EOS no bytes', () => {
    expect(vocabulary.bytesOf(TINY_GPT_EOS)).toBeUndefined();
    expect(vocabulary.bytesOf(511)).toBeUndefined();
  });
  it('has every byte as a token of its own', () => {
    expect(vocabulary.everyByteIsAToken).toBe(true);
  });
  it('agrees with the tokenizer library on every ordinary token', async () => {
    const { readFileSync } = await import('node:fs');
    const json = JSON.parse(
      readFileSync(new URL('../../../test/fixtures/models/tiny-gpt/tokenizer.json', import.meta.url), 'utf8'),
    );
    const tokenizer = new Tokenizer(json, {});
    for (let id = 0; id < 509; id++) {
      const bytes = vocabulary.bytesOf(id)!;
      // Whole-character tokens decode to the same text (fragments of a character decode to U+FFFD in both).
      const decoded = tokenizer.decode([id], { clean_up_tokenization_spaces: false });
      expect(new TextDecoder().decode(bytes)).toBe(decoded);
    }
  });
  it('never allows the chat special tokens inside a document', () => {
    const m = new GrammarMatcher(compileGrammar({ type: 'json', schema: { type: 'string' } }, vocabulary));
    m.accept(idsOf(m.allowed(50)).find((id) => text(vocabulary.bytesOf(id)) === '"')!);
    const allowed = idsOf(m.allowed(50));
    expect(allowed).not.toContain(510);
    expect(allowed).not.toContain(511);
    expect(allowed).not.toContain(TINY_GPT_EOS);
  });
});

/** A Llama-2-style tokenizer.json: Metaspace `▁`, byte fallback `<0xAB>` tokens, special `<s>`/`</s>`, an added `<tool_call>`. */
function metaspaceTokenizer() {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  const pieces = [
    '▁',
    '{',
    '}',
    '"',
    ':',
    ',',
    '▁{',
    '"name',
    '":',
    '▁"',
    'é',
    '▁true',
    'true',
    'ab',
    '"}',
    '日',
  ];
  for (const piece of pieces) vocab[piece] = Object.keys(vocab).length;
  const toolCall = Object.keys(vocab).length;
  return {
    json: {
      version: '1.0',
      added_tokens: [
        { id: 0, content: '<unk>', special: true },
        { id: 1, content: '<s>', special: true },
        { id: 2, content: '</s>', special: true },
        { id: toolCall, content: '<tool_call>', special: false },
      ],
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: { type: 'BPE', byte_fallback: true, vocab: { ...vocab, '<tool_call>': toolCall }, merges: [] },
    },
    vocab,
    toolCall,
    size: toolCall + 1,
  };
}

describe('Metaspace with byte fallback (Llama 2 style)', () => {
  const { json, vocab, toolCall, size } = metaspaceTokenizer();
  const vocabulary = vocabularyOf(json, { eosIds: [2], vocabSize: size + 3 });
  it('reads ▁ as a space', () => {
    expect(text(vocabulary.bytesOf(vocab['▁"']!))).toBe(' "');
    expect(text(vocabulary.bytesOf(vocab['▁true']!))).toBe(' true');
  });
  it('reads <0xAB> tokens as single bytes', () => {
    expect([...vocabulary.bytesOf(vocab['<0x0A>']!)!]).toEqual([0x0a]);
    expect([...vocabulary.bytesOf(vocab['<0xE6>']!)!]).toEqual([0xe6]);
    expect(vocabulary.everyByteIsAToken).toBe(true);
  });
  it('gives <unk>, <s>, </s> and ids past the tokenizer no bytes', () => {
    for (const id of [0, 1, 2, size, size + 2]) expect(vocabulary.bytesOf(id)).toBeUndefined();
  });
  it('uses a non-special added token in a literal part only, never inside the JSON', () => {
    const grammar = {
      type: 'sequence' as const,
      items: [
        { type: 'literal' as const, text: '<tool_call>' },
        { type: 'json' as const, schema: { type: 'string' } },
      ],
    };
    const m = new GrammarMatcher(compileGrammar(grammar, vocabulary));
    expect(idsOf(m.allowed(50))).toContain(toolCall);
    m.accept(toolCall);
    m.accept(vocab['"']!);
    expect(idsOf(m.allowed(50))).not.toContain(toolCall);
    expect(() => m.accept(toolCall)).toThrow(/does not fit the grammar/);
  });
  it('random walks end in documents the schema accepts', () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 4 }, ok: { type: 'boolean' } },
      required: ['name', 'ok'],
      additionalProperties: false,
    };
    const compiled = compileGrammar({ type: 'json', schema }, vocabulary);
    for (let seed = 0; seed < 20; seed++) {
      const result = walk(compiled, 80, randomChoice(seeded(seed)));
      expect(result.complete).toBe(true);
      const value = JSON.parse(result.text) as { name: string; ok: boolean };
      expect(value.name.length).toBeLessThanOrEqual(4);
      expect(typeof value.ok).toBe('boolean');
    }
  });
});

describe('plain vocabularies and unsupported decoders', () => {
  it('reads a WordLevel vocabulary without a decoder as UTF-8 text', () => {
    const vocabulary = vocabularyOf(
      { model: { type: 'WordLevel', vocab: { '{': 0, '}': 1, é: 2 } }, decoder: null },
      { eosIds: [], vocabSize: 3 },
    );
    expect(text(vocabulary.bytesOf(2))).toBe('é');
    expect(vocabulary.everyByteIsAToken).toBe(false);
  });
  it('reads Unigram [piece, score] vocabularies', () => {
    const vocabulary = vocabularyOf(
      {
        model: {
          type: 'Unigram',
          vocab: [
            ['▁a', 0],
            ['b', -1],
          ],
        },
        decoder: { type: 'Metaspace' },
      },
      { eosIds: [], vocabSize: 2 },
    );
    expect(text(vocabulary.bytesOf(0))).toBe(' a');
  });
  it('refuses a decoder whose token bytes it cannot know, naming it', () => {
    expect(() =>
      vocabularyOf({ model: { vocab: { a: 0 } }, decoder: { type: 'CTC' } }, { eosIds: [], vocabSize: 1 }),
    ).toThrow(/decoder "CTC"/);
  });
});

describe('compiled grammar cache', () => {
  it('shares one compiled grammar per schema and keeps at most 64 per vocabulary', () => {
    const vocabulary = tinyGptVocabulary();
    const schema = (n: number) => ({ type: 'json' as const, schema: { type: 'string', maxLength: n } });
    expect(compileGrammar(schema(1), vocabulary)).toBe(compileGrammar(schema(1), vocabulary));
    for (let n = 1; n <= 100; n++) compileGrammar(schema(n), vocabulary);
    expect(compiledGrammarCount(vocabulary)).toBe(64);
    // The most recently used stay: the last one is still the same instance.
    expect(compileGrammar(schema(100), vocabulary)).toBe(compileGrammar(schema(100), vocabulary));
  });
});
