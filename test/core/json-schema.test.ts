// Schemas users hand to text generation: zod converted to JSON Schema for the wire, and values
// checked against JSON Schema (through z.fromJSONSchema) or zod.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isZodSchema, type JsonSchema, parseInput, textGeneration, toJsonSchema } from '../../src/index.ts';
import { checkAgainstSchema } from '../../src/json-schema/index.ts';

function issuesOf(schema: JsonSchema, value: unknown) {
  const check = checkAgainstSchema(schema, value);
  expect(check.success, `${JSON.stringify(value)} passed ${JSON.stringify(schema)}`).toBe(false);
  return check.success ? [] : check.issues;
}

function passes(schema: JsonSchema, value: unknown): void {
  const check = checkAgainstSchema(schema, value);
  expect(check, `${JSON.stringify(value)} against ${JSON.stringify(schema)}`).toEqual({
    success: true,
    value,
  });
}

describe('isZodSchema', () => {
  it('tells a zod schema from a JSON Schema object', () => {
    expect(isZodSchema(z.string())).toBe(true);
    expect(isZodSchema({ type: 'string' })).toBe(false);
  });
});

describe('toJsonSchema', () => {
  it('gives a zod object without $schema and with additionalProperties false', () => {
    expect(toJsonSchema(z.object({ city: z.string() }))).toEqual({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    });
  });

  it('gives nested zod objects additionalProperties false too', () => {
    const schema = toJsonSchema(z.object({ where: z.object({ city: z.string() }) })) as any;
    expect(schema.properties.where.additionalProperties).toBe(false);
  });

  it('leaves optional fields out of required', () => {
    const schema = toJsonSchema(z.object({ city: z.string(), days: z.number().optional() }));
    expect(schema.required).toEqual(['city']);
    expect((schema.properties as any).days).toEqual({ type: 'number' });
  });

  it('writes a zod enum as a string enum', () => {
    expect(toJsonSchema(z.object({ unit: z.enum(['c', 'f']) })).properties).toEqual({
      unit: { type: 'string', enum: ['c', 'f'] },
    });
  });

  it('keeps a loose zod object open to other keys', () => {
    expect(toJsonSchema(z.looseObject({ city: z.string() })).additionalProperties).toEqual({});
  });

  it('writes the input side of a transform', () => {
    const schema = toJsonSchema(z.object({ when: z.string().transform((text) => new Date(text)) }));
    expect(schema.properties).toEqual({ when: { type: 'string' } });
  });

  it('returns a JSON Schema object as it is', () => {
    const schema = { type: 'object', properties: {} };
    expect(toJsonSchema(schema)).toBe(schema);
  });
});

describe('checkAgainstSchema with JSON Schema', () => {
  const defs = {
    $defs: {
      city: {
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name'],
        additionalProperties: false,
      },
    },
    type: 'object',
    properties: {
      home: { $ref: '#/$defs/city' },
      visited: { type: 'array', items: { $ref: '#/$defs/city' } },
    },
    required: ['home'],
  };

  it('follows $ref into $defs', () => {
    passes(defs, { home: { name: 'Paris' }, visited: [{ name: 'Rome' }] });
  });

  it('names the path of a value that fails a $ref', () => {
    expect(issuesOf(defs, { home: { name: 'Paris' }, visited: [{ name: 3 }] }).map((i) => i.path)).toEqual([
      '.visited[0].name',
    ]);
  });

  it('follows $ref into draft-7 definitions', () => {
    const schema = {
      definitions: { name: { type: 'string' } },
      type: 'object',
      properties: { a: { $ref: '#/definitions/name' } },
    };
    passes(schema, { a: 'x' });
    expect(issuesOf(schema, { a: 1 }).map((i) => i.path)).toEqual(['.a']);
  });

  it('accepts a value matching any branch of anyOf', () => {
    const schema = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
    passes(schema, 'x');
    passes(schema, 3);
  });

  it('refuses a value matching no branch of anyOf', () => {
    expect(issuesOf({ anyOf: [{ type: 'string' }, { type: 'integer' }] }, true)).toHaveLength(1);
  });

  it('checks const', () => {
    passes({ const: 'on' }, 'on');
    expect(issuesOf({ const: 'on' }, 'off')).toHaveLength(1);
  });

  it('compares an object const by value', () => {
    const schema = { const: { unit: 'c', steps: [1, 2] } };
    passes(schema, { unit: 'c', steps: [1, 2] });
    // A const compares the whole value: the value as a whole is what does not match.
    expect(issuesOf(schema, { unit: 'c', steps: [1, 3] }).map((i) => i.path)).toEqual(['(root)']);
    expect(issuesOf(schema, { unit: 'c', steps: [1, 2], extra: true })).toHaveLength(1);
  });

  it('compares enum members that are objects by value', () => {
    const schema = { enum: [{ unit: 'c' }, 'none'] };
    passes(schema, { unit: 'c' });
    passes(schema, 'none');
    expect(issuesOf(schema, { unit: 'f' })).toHaveLength(1);
  });

  it('checks minimum and maximum', () => {
    const schema = { type: 'number', minimum: 1, maximum: 5 };
    passes(schema, 1);
    expect(issuesOf(schema, 0)[0]!.message).toMatch(/less than 1/);
    expect(issuesOf(schema, 6)[0]!.message).toMatch(/greater than 5/);
  });

  it('checks exclusiveMinimum and exclusiveMaximum', () => {
    const schema = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 };
    passes(schema, 0.5);
    expect(issuesOf(schema, 0)).toHaveLength(1);
    expect(issuesOf(schema, 1)).toHaveLength(1);
  });

  it('checks string lengths', () => {
    expect(issuesOf({ type: 'string', minLength: 2, maxLength: 3 }, 'abcd')).toHaveLength(1);
    expect(issuesOf({ type: 'string', minLength: 2, maxLength: 3 }, 'a')).toHaveLength(1);
  });

  it('checks minItems and maxItems of an array schema without items', () => {
    expect(issuesOf({ type: 'array', minItems: 2 }, [1])[0]!.message).toMatch(/too few items/);
    expect(issuesOf({ type: 'array', maxItems: 1 }, [1, 2])[0]!.message).toMatch(/too many items/);
  });

  it('keeps the other keywords of a list of types', () => {
    const schema = { type: ['array', 'null'], minItems: 2 };
    passes(schema, null);
    passes(schema, [1, 2]);
    expect(issuesOf(schema, [1])).toHaveLength(1);
  });

  it('refuses a value of none of the listed types', () => {
    expect(issuesOf({ type: ['string', 'null'] }, 1)).toHaveLength(1);
  });

  it('names a missing required property that properties does not describe', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'b'] };
    expect(issuesOf(schema, { a: 'x' }).map((i) => i.path)).toEqual(['.b']);
    passes(schema, { a: 'x', b: [] });
  });

  it('refuses a key additionalProperties false does not allow', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false };
    expect(issuesOf(schema, { a: 'x', b: 1 })[0]!.message).toMatch(/"b"/);
  });

  it('names a missing required property', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    expect(issuesOf(schema, {}).map((i) => i.path)).toEqual(['.a']);
  });

  it('checks properties of a schema that gives no type', () => {
    expect(issuesOf({ properties: { a: { type: 'string' } } }, { a: 1 }).map((i) => i.path)).toEqual(['.a']);
  });

  it('checks items of a schema that gives no type', () => {
    expect(issuesOf({ items: { type: 'string' } }, ['a', 2]).map((i) => i.path)).toEqual(['[1]']);
  });

  it('reads a property named like a keyword as a property', () => {
    const schema = {
      type: 'object',
      properties: { type: { type: 'string' }, properties: { type: 'number' } },
    };
    passes(schema, { type: 'x', properties: 1 });
    expect(issuesOf(schema, { type: 'x', properties: 'y' }).map((i) => i.path)).toEqual(['.properties']);
  });

  it('does not add a type where anyOf says what the value may be', () => {
    passes(
      { anyOf: [{ type: 'string' }, { type: 'object' }], properties: { a: { type: 'string' } } },
      'text',
    );
  });

  it('checks not, if/then and dependentRequired', () => {
    passes({ type: 'string', not: { const: 'x' } }, 'y');
    expect(issuesOf({ type: 'string', not: { const: 'x' } }, 'x')).toHaveLength(1);
    // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword, not a thenable.
    const conditional = { if: { properties: { kind: { const: 'a' } } }, then: { required: ['a'] } };
    passes(conditional, { kind: 'b' });
    expect(issuesOf(conditional, { kind: 'a' }).map((i) => i.path)).toEqual(['.a']);
    expect(issuesOf({ dependentRequired: { a: ['b'] } }, { a: 1 })).toHaveLength(1);
  });

  it('gives an issue for a $ref that points nowhere', () => {
    const check = checkAgainstSchema({ $ref: '#/$defs/missing' }, 1);
    expect(check).toEqual({
      success: false,
      issues: [{ path: '(schema)', message: expect.stringMatching(/missing/) }],
    });
  });
});

describe('checkAgainstSchema with zod', () => {
  it('returns the parsed value, with transforms applied', () => {
    const check = checkAgainstSchema(z.object({ n: z.string().transform(Number) }), { n: '3' });
    expect(check).toEqual({ success: true, value: { n: 3 } });
  });

  it('names the path of each issue', () => {
    const check = checkAgainstSchema(z.object({ list: z.array(z.number()) }), { list: [1, 'x'] });
    expect(check.success ? [] : check.issues.map((i) => i.path)).toEqual(['.list[1]']);
  });
});

describe('schemas that cannot be used are refused with the input', () => {
  const call = (schema: Record<string, unknown>) =>
    parseInput(textGeneration.input, { prompt: 'x', responseFormat: { type: 'json', schema } });

  it('refuses an unknown type name, naming where it is', () => {
    expect(() => call({ type: 'object', properties: { a: { type: 'strnig' } } })).toThrow(
      /input\.responseFormat\.schema: the schema cannot be used: #\/properties\/a\/type: "strnig" is not a JSON type/,
    );
  });

  it('refuses a $ref that points nowhere in the schema', () => {
    expect(() => call({ $ref: '#/$defs/missing' })).toThrow(/"#\/\$defs\/missing" points to nothing/);
  });

  it('refuses a remote $ref', () => {
    expect(() => call({ $ref: 'https://example.com/s.json' })).toThrow(/only local references/);
  });

  it('refuses a bad tool parameters schema by the tool path', () => {
    const input = { prompt: 'x', tools: [{ name: 'a', parameters: { type: 'objekt' } }] };
    expect(() => parseInput(textGeneration.input, input)).toThrow(
      /input\.tools\[0\]\.parameters: the schema cannot be used/,
    );
  });

  it('accepts local refs, recursion, and keywords named like data', () => {
    const schema = {
      $defs: {
        node: { type: 'object', properties: { next: { $ref: '#/$defs/node' }, type: { const: 'x' } } },
      },
      $ref: '#/$defs/node',
      properties: { enum: { enum: [{ type: 'nonsense' }] } },
    };
    expect(() => call(schema)).not.toThrow();
  });
});
