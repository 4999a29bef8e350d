import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonSchema, TextGenerationChunk, TextGenerationTask } from '@mlkit/core';
import { checkAgainstSchema } from '@mlkit/core/json-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot } from '../../../test/fixtures/paths.ts';
import type { OnnxModel } from '../src/index.node.ts';
import { fixture, loadInferred } from './support.ts';

/** Schemas of our own; the shared corpus in test/fixtures/json-schemas/ is added where it exists. */
const ownSchemas: { name: string; schema: JsonSchema }[] = [
  {
    name: 'person',
    schema: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 16 },
        age: { type: 'integer', minimum: 0, maximum: 120 },
        tags: { type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 3 },
      },
      required: ['name', 'age'],
      additionalProperties: false,
    },
  },
  {
    name: 'enum and boolean',
    schema: {
      type: 'object',
      properties: { mood: { enum: ['happy', 'sad'] }, ok: { type: 'boolean' } },
      required: ['mood', 'ok'],
      additionalProperties: false,
    },
  },
  {
    name: 'nested',
    schema: {
      type: 'object',
      properties: {
        point: {
          type: 'object',
          properties: { x: { type: 'number' }, y: { type: 'number' } },
          required: ['x', 'y'],
          additionalProperties: false,
        },
        label: { anyOf: [{ type: 'string', maxLength: 10 }, { type: 'null' }] },
      },
      required: ['point', 'label'],
      additionalProperties: false,
    },
  },
];

function corpus(): { name: string; schema: JsonSchema }[] {
  const folder = join(repoRoot, 'test', 'fixtures', 'json-schemas');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      // A file holds a list of { name, schema } (the corpus), or one schema.
      const value = JSON.parse(readFileSync(join(folder, file), 'utf8')) as unknown;
      if (Array.isArray(value)) {
        return (value as { name: string; schema: JsonSchema }[]).map((entry) => ({
          name: `${file}: ${entry.name}`,
          schema: entry.schema,
        }));
      }
      return [{ name: file, schema: value as JsonSchema }];
    });
}

const schemas = [...ownSchemas, ...corpus()];
const messages = [{ role: 'user' as const, content: 'Describe someone as JSON.' }];
const settings = [{ temperature: 0 }, ...[1, 2, 3].map((seed) => ({ temperature: 1, seed }))];

describe('structured output on tiny-gpt-tools (random weights, constrained decoding)', () => {
  let model: OnnxModel<TextGenerationTask>;
  beforeAll(async () => {
    model = await loadInferred('text-generation', fixture('tiny-gpt-tools'));
  });
  afterAll(() => model.dispose());

  it('gives a document that parses and matches the schema for every schema, seed and greedy', async () => {
    let passed = 0;
    const failures: string[] = [];
    for (const { name, schema } of schemas) {
      for (const setting of settings) {
        try {
          const output = await model.run({
            messages,
            responseFormat: { type: 'json', schema },
            maxTokens: 400,
            ...setting,
          });
          const check = checkAgainstSchema(schema, JSON.parse(output.text));
          if (check.success) passed++;
          else failures.push(`${name} ${JSON.stringify(setting)}: ${JSON.stringify(check.issues)}`);
        } catch (error) {
          failures.push(`${name} ${JSON.stringify(setting)}: ${(error as Error).message}`);
        }
      }
    }
    const total = schemas.length * settings.length;
    console.log(
      `structured output: ${passed}/${total} documents parse and validate (${schemas.length} schemas)`,
    );
    expect(failures).toEqual([]);
  }, 120_000);

  it('hands back the parsed object (with a zod schema, its parsed value)', async () => {
    const schema = z.object({ ok: z.boolean(), count: z.number().int().min(1).max(9) });
    const output = await model.run({ messages, responseFormat: { type: 'json', schema }, temperature: 0 });
    expect(schema.parse(output.object)).toEqual(output.object);
    expect(output.finishReason).toBe('stop');
  });

  it('without a schema the answer is a JSON object', async () => {
    const output = await model.run({
      messages,
      responseFormat: { type: 'json' },
      temperature: 1,
      seed: 5,
      maxTokens: 300,
    });
    const value = JSON.parse(output.text);
    expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
  });

  it('streams the document as text deltas, with the same object in finish as run()', async () => {
    const schema = ownSchemas[0]!.schema;
    const input = { messages, responseFormat: { type: 'json' as const, schema }, temperature: 1, seed: 3 };
    const run = await model.run(input);
    const chunks: TextGenerationChunk[] = [];
    for await (const chunk of model.stream(input)) chunks.push(chunk);
    const text = chunks.map((chunk) => (chunk.type === 'text-delta' ? chunk.text : '')).join('');
    expect(text).toBe(run.text);
    expect(chunks.at(-1)).toMatchObject({ type: 'finish', object: run.object });
  });

  it('refuses a schema keyword it cannot enforce before any inference, naming responseFormat.schema', async () => {
    const error = await model
      .run({
        messages,
        responseFormat: { type: 'json', schema: { type: 'object', patternProperties: { '^x': {} } } },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unsupported', param: 'responseFormat.schema' });
    expect((error as Error).message).toMatch(/patternProperties/);
  });
});
