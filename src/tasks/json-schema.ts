/**
 * Schemas users hand to text generation (tool parameters, `responseFormat.schema`): a JSON Schema
 * object or a zod schema. Providers send JSON Schema on the wire, local models constrain decoding
 * with it, and every model validates what came back with the same checker.
 */
import { z } from 'zod';

/** A JSON Schema (draft 2020-12) as a plain object, e.g. `{ type: 'object', properties: {...} }`. */
export type JsonSchema = { [key: string]: unknown };

/** A JSON Schema object or a zod schema: what `tools[].parameters` and `responseFormat.schema` take. */
export type SchemaLike = JsonSchema | z.ZodType;

/** True for a zod schema (of any installed copy of zod 4), false for a JSON Schema object. */
export function isZodSchema(schema: unknown): schema is z.ZodType {
  return typeof schema === 'object' && schema !== null && '_zod' in schema;
}

/** Schema of a {@link SchemaLike}: a zod schema, or a JSON Schema object (checked when first used). */
export const SchemaLike = z.custom<SchemaLike>(
  (value) =>
    isZodSchema(value) ||
    (typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)),
  { message: 'expected a JSON Schema object or a zod schema' },
);

const jsonSchemas = new WeakMap<object, JsonSchema>();

/**
 * The JSON Schema of a schema: a zod schema converted with `z.toJSONSchema` (without its `$schema`
 * key, which OpenAI's strict mode refuses), a JSON Schema object as it is.
 */
export function toJsonSchema(schema: SchemaLike): JsonSchema {
  if (!isZodSchema(schema)) return schema;
  let out = jsonSchemas.get(schema);
  if (!out) {
    const { $schema: _, ...rest } = z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
    }) as JsonSchema;
    out = rest;
    jsonSchemas.set(schema, out);
  }
  return out;
}

/** One problem of a value checked against a schema: where (a JSON pointer-like path) and what. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** What a check against a schema gives: the (zod-parsed) value, or what is wrong with it. */
export type SchemaCheck = { success: true; value: unknown } | { success: false; issues: SchemaIssue[] };

const validators = new WeakMap<object, z.ZodType>();

function validatorOf(schema: SchemaLike): z.ZodType {
  if (isZodSchema(schema)) return schema;
  let out = validators.get(schema);
  if (!out) {
    out = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    validators.set(schema, out);
  }
  return out;
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out || '(root)';
}

/**
 * Check a parsed JSON value against a schema. A zod schema parses it (so its transforms and
 * defaults apply to the returned value); a JSON Schema is checked through `z.fromJSONSchema`.
 * A JSON Schema zod cannot read gives one issue saying so, not a throw.
 */
export function checkAgainstSchema(schema: SchemaLike, value: unknown): SchemaCheck {
  let validator: z.ZodType;
  try {
    validator = validatorOf(schema);
  } catch (error) {
    return {
      success: false,
      issues: [{ path: '(schema)', message: `the schema cannot be read: ${(error as Error).message}` }],
    };
  }
  const result = validator.safeParse(value);
  if (result.success) return { success: true, value: result.data };
  return {
    success: false,
    issues: result.error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message })),
  };
}
