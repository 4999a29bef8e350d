import { describe, expect, it } from 'vitest';
import {
  applyMask,
  compileGrammar,
  type Grammar,
  GrammarMatcher,
  UnsupportedSchemaError,
} from '../src/generation/constrained/index.ts';
import {
  feed,
  idsOf,
  randomChoice,
  seeded,
  singleByteIds,
  TINY_GPT_EOS,
  tinyGptVocabulary,
  walk,
} from './constrained-walk.ts';

const vocabulary = tinyGptVocabulary();

function matcher(schema: unknown, maxWhitespace?: number): GrammarMatcher {
  const grammar = { type: 'json', schema } as Grammar;
  return new GrammarMatcher(
    compileGrammar(grammar, vocabulary, maxWhitespace === undefined ? {} : { maxWhitespace }),
  );
}

/** The whole text fits the schema and forms a complete document. */
function accepts(schema: unknown, text: string, maxWhitespace?: number): boolean {
  const m = matcher(schema, maxWhitespace);
  return feed(m, vocabulary, text) && m.complete;
}

describe('objects', () => {
  const schema = {
    type: 'object',
    properties: { a: { type: 'integer' }, b: { type: 'string' } },
    required: ['a'],
    additionalProperties: false,
  };
  it('accepts the required property alone and with the optional one', () => {
    expect(accepts(schema, '{"a":1}')).toBe(true);
    expect(accepts(schema, '{"a":1,"b":"x"}')).toBe(true);
  });
  it('refuses to close an object before its required properties', () => {
    expect(accepts(schema, '{}')).toBe(false);
  });
  it('refuses extra keys when additionalProperties is false', () => {
    expect(accepts(schema, '{"a":1,"c":2}')).toBe(false);
  });
  it('takes any extra key when additionalProperties is true, but not a declared name again', () => {
    const open = { ...schema, additionalProperties: true };
    expect(accepts(open, '{"a":1,"zz":[true]}')).toBe(true);
    expect(accepts(open, '{"a":1,"a":2}')).toBe(false);
  });
  it('holds extra values to an additionalProperties schema', () => {
    const typed = { ...schema, additionalProperties: { type: 'boolean' } };
    expect(accepts(typed, '{"a":1,"q":false}')).toBe(true);
    expect(accepts(typed, '{"a":1,"q":3}')).toBe(false);
  });
  it('writes properties in schema order', () => {
    expect(accepts(schema, '{"b":"x","a":1}')).toBe(false);
  });
});

describe('enum and const', () => {
  it('accepts only the listed values', () => {
    expect(accepts({ enum: ['x', 2, null] }, '2')).toBe(true);
    expect(accepts({ enum: ['x', 2, null] }, '"x"')).toBe(true);
    expect(accepts({ enum: ['x', 2, null] }, '"y"')).toBe(false);
  });
  it('accepts the const value and nothing else', () => {
    expect(accepts({ const: { k: [1] } }, '{"k":[1]}')).toBe(true);
    expect(accepts({ const: { k: [1] } }, '{"k":[2]}')).toBe(false);
  });
  it('lets a numeric enum value that prefixes another end or go on', () => {
    expect(accepts({ enum: [1, 12] }, '1')).toBe(true);
    expect(accepts({ enum: [1, 12] }, '12')).toBe(true);
    expect(accepts({ enum: [1, 12] }, '13')).toBe(false);
  });
});

describe('strings', () => {
  it('counts minLength and maxLength in code points', () => {
    const schema = { type: 'string', minLength: 2, maxLength: 3 };
    expect(accepts(schema, '"é"')).toBe(false);
    expect(accepts(schema, '"éé"')).toBe(true);
    expect(accepts(schema, '"日本語"')).toBe(true);
    expect(accepts(schema, '"abcd"')).toBe(false);
  });
  it('counts an escape as one character', () => {
    expect(accepts({ type: 'string', maxLength: 1 }, '"\\u00e9"')).toBe(true);
  });
  it('accepts the JSON escapes', () => {
    expect(accepts({ type: 'string' }, '"a\\"b\\\\c\\/d\\n\\t\\r\\b\\f\\u00E9"')).toBe(true);
  });
  it('refuses raw control characters, unknown escapes and lone surrogates', () => {
    expect(accepts({ type: 'string' }, '"a\nb"')).toBe(false);
    expect(accepts({ type: 'string' }, '"\\x41"')).toBe(false);
    expect(accepts({ type: 'string' }, '"\\ud800"')).toBe(false);
  });
  it('refuses malformed UTF-8: a stray continuation byte and an overlong form', () => {
    const m = matcher({ type: 'string' });
    expect(feed(m, vocabulary, Uint8Array.of(0x22, 0x97))).toBe(false);
    expect(feed(matcher({ type: 'string' }), vocabulary, Uint8Array.of(0x22, 0xe0, 0x80))).toBe(false);
  });
  it('follows a character split across tokens', () => {
    // "日本" is E6 97 A5 E6 9C AC; tiny-gpt token 497 is the bytes A5 E6, ending one character and starting the next.
    expect([...vocabulary.bytesOf(497)!]).toEqual([0xa5, 0xe6]);
    const m = matcher({ type: 'string', maxLength: 2 });
    const ids = singleByteIds(vocabulary);
    for (const byte of [0x22, 0xe6, 0x97]) m.accept(ids[byte]!);
    expect(idsOf(m.allowed(100))).toContain(497);
    m.accept(497);
    for (const byte of [0x9c, 0xac, 0x22]) m.accept(ids[byte]!);
    expect(m.complete).toBe(true);
  });
  it('allows no token that would split a character wrongly inside a string', () => {
    const m = matcher({ type: 'string' });
    const ids = singleByteIds(vocabulary);
    m.accept(ids[0x22]!);
    m.accept(ids[0xe6]!);
    // After a 3-byte lead only continuation bytes fit: every allowed token starts with one.
    for (const id of idsOf(m.allowed(100))) expect(vocabulary.bytesOf(id)![0]! & 0xc0).toBe(0x80);
  });
});

describe('numbers', () => {
  it('accepts JSON numbers and refuses leading zeros, a bare sign or a trailing dot', () => {
    expect(accepts({ type: 'number' }, '-12.5e+3')).toBe(true);
    expect(accepts({ type: 'number' }, '0.25')).toBe(true);
    expect(accepts({ type: 'number' }, '012')).toBe(false);
    expect(accepts({ type: 'number' }, '-')).toBe(false);
    expect(accepts({ type: 'number' }, '1.')).toBe(false);
  });
  it('keeps integers whole', () => {
    expect(accepts({ type: 'integer' }, '42')).toBe(true);
    expect(accepts({ type: 'integer' }, '4.2')).toBe(false);
    expect(accepts({ type: 'integer' }, '4e2')).toBe(false);
  });
  it('keeps integers within minimum and maximum', () => {
    const schema = { type: 'integer', minimum: -5, maximum: 12 };
    expect(accepts(schema, '12')).toBe(true);
    expect(accepts(schema, '-5')).toBe(true);
    expect(accepts(schema, '13')).toBe(false);
    expect(accepts(schema, '-6')).toBe(false);
    expect(accepts(schema, '120')).toBe(false);
  });
  it('keeps numbers within exclusive bounds', () => {
    const schema = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 };
    expect(accepts(schema, '0.5')).toBe(true);
    expect(accepts(schema, '0')).toBe(false);
    expect(accepts(schema, '1')).toBe(false);
  });
  it('caps the digits of an integer so it stays a safe integer', () => {
    expect(accepts({ type: 'integer' }, '123456789012345')).toBe(true);
    expect(accepts({ type: 'integer' }, '1234567890123456')).toBe(false);
  });
});

describe('booleans, null, arrays, unions', () => {
  it('accepts true/false and null where the type says', () => {
    expect(accepts({ type: 'boolean' }, 'false')).toBe(true);
    expect(accepts({ type: 'null' }, 'null')).toBe(true);
    expect(accepts({ type: 'boolean' }, 'null')).toBe(false);
  });
  it('keeps arrays within minItems and maxItems and their items to the items schema', () => {
    const schema = { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2 };
    expect(accepts(schema, '[]')).toBe(false);
    expect(accepts(schema, '[1,2]')).toBe(true);
    expect(accepts(schema, '[1,2,3]')).toBe(false);
    expect(accepts(schema, '["a"]')).toBe(false);
  });
  it('follows prefixItems and refuses items past them when items is false', () => {
    const schema = { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false };
    expect(accepts(schema, '["a",1]')).toBe(true);
    expect(accepts(schema, '[1,"a"]')).toBe(false);
    expect(accepts(schema, '["a",1,2]')).toBe(false);
  });
  it('accepts any branch of anyOf and oneOf', () => {
    const schema = {
      anyOf: [
        { type: 'integer' },
        {
          type: 'object',
          properties: { k: { type: 'string' } },
          required: ['k'],
          additionalProperties: false,
        },
      ],
    };
    expect(accepts(schema, '3')).toBe(true);
    expect(accepts(schema, '{"k":"v"}')).toBe(true);
    expect(accepts(schema, '"v"')).toBe(false);
    expect(accepts({ oneOf: [{ type: 'string' }, { type: 'null' }] }, 'null')).toBe(true);
  });
  it('accepts each type of a type list', () => {
    expect(accepts({ type: ['string', 'null'] }, '"a"')).toBe(true);
    expect(accepts({ type: ['string', 'null'] }, 'null')).toBe(true);
    expect(accepts({ type: ['string', 'null'] }, '1')).toBe(false);
  });
  it('follows local $ref into $defs, also recursively', () => {
    const schema = {
      $defs: {
        node: {
          type: 'object',
          properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } } },
          required: ['kids'],
          additionalProperties: false,
        },
      },
      $ref: '#/$defs/node',
    };
    expect(accepts(schema, '{"kids":[{"kids":[]},{"kids":[{"kids":[]}]}]}')).toBe(true);
    expect(accepts(schema, '{"kids":[{}]}')).toBe(false);
  });
  it('takes any JSON value for {} and true, and any object without a schema', () => {
    expect(accepts({}, '[1,{"a":null},"x"]')).toBe(true);
    expect(accepts(true, '-3')).toBe(true);
    expect(accepts(undefined, '{"x":[true]}')).toBe(true);
    expect(accepts(undefined, '[1]')).toBe(false);
  });
});

describe('refused keywords', () => {
  for (const [keyword, schema, path] of [
    [
      'pattern',
      { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]+$' } } },
      '#/properties/code/pattern',
    ],
    ['format', { type: 'string', format: 'date-time' }, '#/format'],
    ['not', { not: { type: 'string' } }, '#/not'],
    ['if', JSON.parse('{"if":{"type":"string"},"then":{"minLength":1}}'), '#/if'],
    ['uniqueItems', { type: 'array', uniqueItems: true }, '#/uniqueItems'],
    ['allOf', { allOf: [{ type: 'string' }, { maxLength: 3 }] }, '#/allOf'],
  ] as const) {
    it(`refuses ${keyword} at compile time, naming it and its path`, () => {
      let error: unknown;
      try {
        matcher(schema);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(UnsupportedSchemaError);
      expect((error as UnsupportedSchemaError).keyword).toBe(keyword);
      expect((error as UnsupportedSchemaError).path).toBe(path);
      expect((error as Error).message).toContain(keyword);
    });
  }
  it('refuses a remote $ref', () => {
    expect(() => matcher({ $ref: 'https://example.com/schema.json' })).toThrow(/local reference/);
  });
  it('refuses a schema no value satisfies', () => {
    expect(() => matcher({ type: 'array', items: false, minItems: 1 })).toThrow(UnsupportedSchemaError);
  });
});

describe('whitespace', () => {
  it('allows up to maxWhitespace characters between JSON tokens', () => {
    expect(accepts({ type: 'object' }, '{  "a" : 1 }', 2)).toBe(true);
    expect(accepts({ type: 'object' }, '{   "a":1}', 2)).toBe(false);
  });
  it('allows none inside numbers and literals', () => {
    expect(accepts({}, '1 2')).toBe(false);
    expect(accepts({}, 'tr ue')).toBe(false);
  });
  it('allows no whitespace after the document', () => {
    const m = matcher({ type: 'object' });
    expect(feed(m, vocabulary, '{}')).toBe(true);
    expect(feed(m, vocabulary, ' ')).toBe(false);
  });
});

describe('end of the document and the token budget', () => {
  it('allows EOS only once the document is complete', () => {
    const m = matcher({ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] });
    feed(m, vocabulary, '{"a":1');
    expect(idsOf(m.allowed(100))).not.toContain(TINY_GPT_EOS);
    feed(m, vocabulary, '}');
    expect(idsOf(m.allowed(100))).toContain(TINY_GPT_EOS);
  });
  it('is finished after the closing brace of an object, but not after a number that could go on', () => {
    const object = matcher({ type: 'object' });
    feed(object, vocabulary, '{}');
    expect(object.finished).toBe(true);
    const number = matcher({ type: 'integer' });
    feed(number, vocabulary, '12');
    expect(number.complete).toBe(true);
    expect(number.finished).toBe(false);
  });
  it('allows only tokens that still let the document finish in the tokens left', () => {
    const m = matcher({
      type: 'object',
      properties: { s: { type: 'string' } },
      required: ['s'],
      additionalProperties: false,
    });
    feed(m, vocabulary, '{"s":"ab');
    // Two tokens left: `"` then `}` is the only way to finish.
    const allowed = idsOf(m.allowed(2)).map((id) => new TextDecoder().decode(vocabulary.bytesOf(id)));
    expect(allowed.every((text) => text.startsWith('"'))).toBe(true);
    expect(allowed).toContain('"');
  });
  it('reports the fewest tokens that complete the document', () => {
    const m = matcher({
      type: 'object',
      properties: { a: { type: 'boolean' } },
      required: ['a'],
      additionalProperties: false,
    });
    expect(m.minTokensToComplete).toBe('{"a":true}'.length);
  });
  it('finishes every random walk when the budget is exactly the shortest document', () => {
    const compiled = compileGrammar(
      { type: 'json', schema: { type: 'array', items: { type: 'string', minLength: 2 }, minItems: 2 } },
      vocabulary,
    );
    const budget = new GrammarMatcher(compiled).minTokensToComplete;
    for (let seed = 0; seed < 10; seed++) {
      const result = walk(compiled, budget, randomChoice(seeded(seed)));
      expect(result.complete).toBe(true);
      expect(JSON.parse(result.text)).toHaveLength(2);
    }
  });
  it('throws a clear error for a token the mask did not allow', () => {
    const m = matcher({ type: 'object' });
    expect(() => m.accept(singleByteIds(vocabulary)[0x5b]!)).toThrow(
      /token \d+ "\[" does not fit the grammar/,
    );
    expect(() => m.accept(TINY_GPT_EOS)).toThrow(/EOS token 509 before the document is complete/);
  });
});

describe('literal, sequence and choice grammars', () => {
  const toolCall: Grammar = {
    type: 'sequence',
    items: [
      { type: 'literal', text: '<tool_call>\n' },
      {
        type: 'json',
        schema: {
          type: 'object',
          properties: { name: { const: 'f' } },
          required: ['name'],
          additionalProperties: false,
        },
      },
      { type: 'literal', text: '\n</tool_call>' },
    ],
  };
  it('writes the literal parts exactly, around the JSON part', () => {
    const m = new GrammarMatcher(compileGrammar(toolCall, vocabulary));
    expect(feed(m, vocabulary, '<tool_call>\n{"name":"f"}\n</tool_call>')).toBe(true);
    expect(m.finished).toBe(true);
  });
  it('refuses text that differs from a literal', () => {
    const m = new GrammarMatcher(compileGrammar(toolCall, vocabulary));
    expect(feed(m, vocabulary, '<tool_cal ')).toBe(false);
  });
  it('accepts either option of a choice', () => {
    const grammar: Grammar = { type: 'choice', options: [{ type: 'literal', text: 'no' }, toolCall] };
    const no = new GrammarMatcher(compileGrammar(grammar, vocabulary));
    expect(feed(no, vocabulary, 'no') && no.finished).toBe(true);
    const call = new GrammarMatcher(compileGrammar(grammar, vocabulary));
    expect(feed(call, vocabulary, '<tool_call>\n{"name":"f"}\n</tool_call>') && call.finished).toBe(true);
  });
  it('compiles the same grammar once per vocabulary', () => {
    expect(compileGrammar(toolCall, vocabulary)).toBe(compileGrammar(toolCall, vocabulary));
  });
});

describe('applyMask', () => {
  it('sets disallowed logits to -Infinity and leaves allowed ones', () => {
    const logits = new Float32Array([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
      29, 30, 31, 32, 33, 34,
    ]);
    const mask = new Uint32Array(2);
    mask[0] = (1 << 1) | (1 << 31);
    mask[1] = 1 << 1;
    applyMask(logits, mask);
    const kept = [...logits.keys()].filter((i) => logits[i] !== Number.NEGATIVE_INFINITY);
    expect(kept).toEqual([1, 31, 33]);
  });
});
