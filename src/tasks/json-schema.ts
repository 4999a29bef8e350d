/**
 * Schemas users hand to text generation (tool parameters, `responseFormat.schema`): a JSON Schema
 * object or a zod schema. Providers send JSON Schema on the wire, local models constrain decoding
 * with it, and every model validates what came back with the same checker (json-schema-check.ts,
 * which a text-generation call loads only when it has tools or a json answer to check).
 */
import type * as zod from 'zod';
import * as z from 'zod/mini';
import { InvalidInputError } from '../errors.ts';

/** A JSON Schema (draft 2020-12) as a plain object, e.g. `{ type: 'object', properties: {...} }`. */
export type JsonSchema = { [key: string]: unknown };

/** A JSON Schema object or a zod schema: what `tools[].parameters` and `responseFormat.schema` take. */
export type SchemaLike = JsonSchema | zod.ZodType;

/** True for a zod schema (of any installed copy of zod 4), false for a JSON Schema object. */
export function isZodSchema(schema: unknown): schema is zod.ZodType {
  return typeof schema === 'object' && schema !== null && '_zod' in schema;
}

const JSON_TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value a local JSON pointer (`#/$defs/a`) points to in `root`, or undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  let value: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const problemsBySchema = new WeakMap<object, string[]>();

/**
 * What makes a JSON Schema unusable, found before any call: unknown type names and `$ref`s that do
 * not resolve in the schema itself (remote references are not fetched).
 */
export function schemaProblems(schema: JsonSchema): string[] {
  const known = problemsBySchema.get(schema);
  if (known) return known;
  const problems: string[] = [];
  const visit = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, `${path}/${index}`);
      return;
    }
    if (!isRecord(node)) return;
    for (const [key, value] of Object.entries(node)) {
      // Data, not schemas: their contents are values to compare, never keywords.
      if (key === 'const' || key === 'enum' || key === 'default' || key === 'examples') continue;
      const at = `${path}/${key}`;
      if (key === 'type' && typeof node.type !== 'object') {
        const types = Array.isArray(value) ? value : [value];
        for (const type of types) {
          if (typeof type !== 'string' || !JSON_TYPES.has(type)) {
            problems.push(
              `${at}: ${JSON.stringify(type)} is not a JSON type (${[...JSON_TYPES].join(', ')})`,
            );
          }
        }
      } else if (key === '$ref') {
        if (typeof value !== 'string') problems.push(`${at}: expected a string`);
        else if (!value.startsWith('#'))
          problems.push(`${at}: only local references (#/...) are read, not ${JSON.stringify(value)}`);
        else if (value !== '#' && resolvePointer(schema, value) === undefined)
          problems.push(`${at}: ${JSON.stringify(value)} points to nothing in the schema`);
      } else {
        visit(value, at);
      }
    }
  };
  visit(schema, '#');
  problemsBySchema.set(schema, problems);
  return problems;
}

/** Schema of a {@link SchemaLike}: a zod schema, or a JSON Schema object whose types and `$ref`s are readable. */
export const SchemaLike = z
  .custom<SchemaLike>(
    (value) =>
      isZodSchema(value) ||
      (typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)),
    { message: 'expected a JSON Schema object or a zod schema' },
  )
  .check(
    z.superRefine((schema, context) => {
      if (isZodSchema(schema)) {
        if (!hasToJsonSchema(schema)) context.addIssue({ code: 'custom', message: NO_CONVERSION });
        return;
      }
      for (const problem of schemaProblems(schema)) {
        context.addIssue({ code: 'custom', message: `the schema cannot be used: ${problem}` });
      }
    }),
  );

const jsonSchemas = new WeakMap<object, JsonSchema>();

type ToJsonSchemaParams = Parameters<zod.ZodType['toJSONSchema']>[0];

/** Classic zod schemas convert themselves; zod/mini ones have no method for it (see NO_CONVERSION). */
function hasToJsonSchema(
  schema: zod.ZodType,
): schema is zod.ZodType & { toJSONSchema(params?: ToJsonSchemaParams): object } {
  return typeof (schema as { toJSONSchema?: unknown }).toJSONSchema === 'function';
}

// zod's converter for schemas without the method (zod/mini) weighs about 7 kB gzipped, which a
// browser bundle would carry for every app; classic zod schemas bring their own.
const NO_CONVERSION =
  'a zod/mini schema cannot be turned into JSON Schema here: pass z.toJSONSchema(schema) (its JSON Schema) or a classic zod schema';

/**
 * The JSON Schema of a schema: a zod schema converted with its `toJSONSchema()` (its input side, without
 * the `$schema` key, which OpenAI's strict mode refuses, and with `additionalProperties: false` on
 * z.object), a JSON Schema object as it is.
 */
export function toJsonSchema(schema: SchemaLike): JsonSchema {
  if (!isZodSchema(schema)) return schema;
  let out = jsonSchemas.get(schema);
  if (!out) {
    if (!hasToJsonSchema(schema)) throw new InvalidInputError(`Invalid input — ${NO_CONVERSION}`);
    const { $schema: _, ...rest } = schema.toJSONSchema({
      io: 'input',
      unrepresentable: 'any',
      // The input side of a plain z.object says nothing of unknown keys (zod strips them), but a model
      // must not invent keys, and OpenAI's strict mode wants `additionalProperties: false` on objects.
      override: ({ zodSchema, jsonSchema }) => {
        const def = zodSchema._zod.def as { type: string; catchall?: unknown };
        if (
          def.type === 'object' &&
          def.catchall === undefined &&
          jsonSchema.additionalProperties === undefined
        ) {
          jsonSchema.additionalProperties = false;
        }
      },
    }) as JsonSchema;
    out = rest;
    jsonSchemas.set(schema, out);
  }
  return out;
}
