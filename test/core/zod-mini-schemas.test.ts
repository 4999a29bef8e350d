import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { InvalidInputError } from '../../src/errors.ts';
import { toJsonSchema } from '../../src/tasks/json-schema.ts';
import { textGeneration } from '../../src/tasks/text-generation.ts';
import { parseInput } from '../../src/validate.ts';

describe('zod/mini schemas handed to text generation', () => {
  it('refuses a zod/mini schema as tool parameters by name, saying what to pass instead', () => {
    const input = { prompt: 'hi', tools: [{ name: 'lookup', parameters: z.object({ id: z.string() }) }] };
    expect(() => parseInput(textGeneration.input, input)).toThrow(InvalidInputError);
    expect(() => parseInput(textGeneration.input, input)).toThrow(
      /input\.tools\[0\]\.parameters: a zod\/mini schema cannot be turned into JSON Schema here: pass z\.toJSONSchema\(schema\)/,
    );
  });

  it('accepts the JSON Schema of a zod/mini schema in its place', () => {
    const parameters = z.toJSONSchema(z.object({ id: z.string() }));
    const parsed = parseInput(textGeneration.input, {
      prompt: 'hi',
      tools: [{ name: 'lookup', parameters }],
    });
    expect(toJsonSchema(parsed.tools![0]!.parameters)).toBe(parameters);
  });
});
