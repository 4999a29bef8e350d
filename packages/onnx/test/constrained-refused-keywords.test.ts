// Every keyword the README lists as refused is refused at compile time, naming it, so a schema is never
// silently loosened (constrained-json.test.ts covers pattern, format, not, if, uniqueItems, allOf).
import { describe, expect, it } from 'vitest';
import { compileGrammar, type Grammar, UnsupportedSchemaError } from '../src/generation/constrained/index.ts';
import { tinyGptVocabulary } from './constrained-walk.ts';

const vocabulary = tinyGptVocabulary();

function refusal(schema: unknown): UnsupportedSchemaError {
  try {
    compileGrammar({ type: 'json', schema } as Grammar, vocabulary, {});
  } catch (error) {
    if (error instanceof UnsupportedSchemaError) return error;
    throw error;
  }
  throw new Error(`compiled ${JSON.stringify(schema)} without refusing it`);
}

describe('refused keywords named in the README', () => {
  const object = { type: 'object', properties: { a: { type: 'string' } } };
  for (const [keyword, schema] of [
    ['patternProperties', { ...object, patternProperties: { '^x': { type: 'string' } } }],
    ['propertyNames', { ...object, propertyNames: { maxLength: 3 } }],
    ['dependentRequired', { ...object, dependentRequired: { a: ['b'] } }],
    ['dependentSchemas', { ...object, dependentSchemas: { a: { required: ['b'] } } }],
    ['dependencies', { ...object, dependencies: { a: ['b'] } }],
    ['unevaluatedProperties', { ...object, unevaluatedProperties: false }],
    ['unevaluatedItems', { type: 'array', unevaluatedItems: false }],
    ['contains', { type: 'array', contains: { type: 'string' } }],
    ['minContains', { type: 'array', items: { type: 'string' }, minContains: 1 }],
    ['maxContains', { type: 'array', items: { type: 'string' }, maxContains: 1 }],
    ['multipleOf', { type: 'integer', multipleOf: 3 }],
    ['minProperties', { ...object, minProperties: 1 }],
    ['maxProperties', { ...object, maxProperties: 1 }],
    ['$dynamicRef', { $dynamicRef: '#node' }],
    ['$recursiveRef', { $recursiveRef: '#' }],
  ] as const) {
    it(`refuses ${keyword}, naming it`, () => {
      const error = refusal(schema);
      expect(error.message).toContain(keyword);
    });
  }

  it('refuses a $ref to an anchor', () => {
    expect(() => refusal({ $defs: { a: { $anchor: 'a', type: 'string' } }, $ref: '#a' })).not.toThrow();
  });

  it('refuses $ref beside other keywords', () => {
    expect(() =>
      refusal({ $defs: { a: { type: 'string' } }, $ref: '#/$defs/a', maxLength: 3 }),
    ).not.toThrow();
  });

  it('refuses anyOf beside other keywords', () => {
    expect(() => refusal({ anyOf: [{ type: 'string' }, { type: 'integer' }], minimum: 1 })).not.toThrow();
  });
});
