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
 * The JSON Schema of a schema: a zod schema converted with `z.toJSONSchema` (its input side, without
 * the `$schema` key, which OpenAI's strict mode refuses, and with `additionalProperties: false` on
 * z.object), a JSON Schema object as it is.
 */
export function toJsonSchema(schema: SchemaLike): JsonSchema {
  if (!isZodSchema(schema)) return schema;
  let out = jsonSchemas.get(schema);
  if (!out) {
    const { $schema: _, ...rest } = z.toJSONSchema(schema, {
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

/** One problem of a value checked against a schema: where (a JSON pointer-like path) and what. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** What a check against a schema gives: the (zod-parsed) value, or what is wrong with it. */
export type SchemaCheck = { success: true; value: unknown } | { success: false; issues: SchemaIssue[] };

const validators = new WeakMap<object, z.ZodType>();

// Keywords whose value is a schema, a list of schemas, or a map of names to schemas; every other
// keyword's value is data (`const`, `enum`, `default`, `examples`, `required`) or a number.
const SCHEMA_KEYWORDS = [
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
];
const SCHEMA_LIST_KEYWORDS = ['prefixItems', 'anyOf', 'oneOf', 'allOf'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const OBJECT_KEYWORDS = [
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
];
const ARRAY_KEYWORDS = ['items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems', 'contains'];
const COMBINING_KEYWORDS = ['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'const', 'enum'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A schema that accepts exactly the JSON value `value` (deep equality, as JSON Schema's `const`). */
function exactly(value: unknown): unknown {
  if (Array.isArray(value)) {
    // minItems too: zod reads prefixItems as a tuple whose items may be missing.
    return { type: 'array', prefixItems: value.map(exactly), items: false, minItems: value.length };
  }
  if (isRecord(value)) {
    const properties = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, exactly(item)]));
    return { type: 'object', properties, required: Object.keys(value), additionalProperties: false };
  }
  return { const: value };
}

/**
 * A JSON Schema rewritten where `z.fromJSONSchema` (zod 4.6) reads it otherwise than JSON Schema:
 * `definitions` (draft 7, e.g. zod-to-json-schema's output) and its `$ref`s are not found; `const`
 * and `enum` of objects or arrays compare by identity, so nothing matches; `properties`,
 * `required`, `items`... are ignored without a `type` (such a schema gets its type, object or
 * array, when nothing else such as `anyOf` or `$ref` says what the value may be); a list of types
 * loses the other keywords; `minItems`/`maxItems` are ignored without `items`; and a `required`
 * name is ignored unless `properties` has it.
 */
function readable(schema: unknown): unknown {
  if (!isRecord(schema)) return schema;
  if (Array.isArray(schema.type) && !('anyOf' in schema)) {
    // `type: ['array', 'null']` with minItems: zod drops the keywords; one branch per type keeps them.
    const { type: types, $defs, definitions, ...rest } = schema;
    const defs = { ...($defs !== undefined && { $defs }), ...(definitions !== undefined && { definitions }) };
    if (types.length === 1) return readable({ ...rest, ...defs, type: types[0] });
    return readable({ ...defs, anyOf: types.map((type) => ({ ...rest, type })) });
  }
  const out: Record<string, unknown> = { ...schema };
  for (const key of SCHEMA_KEYWORDS) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(readable);
    else if (key in out) out[key] = readable(out[key]);
  }
  for (const key of SCHEMA_LIST_KEYWORDS) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(readable);
  }
  if (isRecord(out.definitions)) {
    out.$defs = { ...out.definitions, ...(isRecord(out.$defs) ? out.$defs : {}) };
    delete out.definitions;
  }
  for (const key of SCHEMA_MAP_KEYWORDS) {
    const map = out[key];
    if (isRecord(map)) {
      out[key] = Object.fromEntries(Object.entries(map).map(([name, item]) => [name, readable(item)]));
    }
  }
  if (typeof out.$ref === 'string' && out.$ref.startsWith('#/definitions/')) {
    out.$ref = `#/$defs/${out.$ref.slice('#/definitions/'.length)}`;
  }
  const exact: unknown[] = [];
  if ('const' in out && typeof out.const === 'object' && out.const !== null) {
    exact.push(exactly(out.const));
    delete out.const;
  }
  if (Array.isArray(out.enum) && out.enum.some((item) => typeof item === 'object' && item !== null)) {
    const plain = out.enum.filter((item) => typeof item !== 'object' || item === null);
    const anyOf = [
      ...(plain.length > 0 ? [{ enum: plain }] : []),
      ...out.enum.filter((item) => !plain.includes(item)).map(exactly),
    ];
    exact.push({ anyOf });
    delete out.enum;
  }
  if (out.type === undefined && !COMBINING_KEYWORDS.some((key) => key in out)) {
    if (OBJECT_KEYWORDS.some((key) => key in out)) out.type = 'object';
    else if (ARRAY_KEYWORDS.some((key) => key in out)) out.type = 'array';
  }
  // zod drops minItems/maxItems of an array without items, and required names without a property.
  if (out.type === 'array' && !('items' in out) && !('prefixItems' in out)) out.items = {};
  if (out.type === 'object' && Array.isArray(out.required)) {
    const properties = isRecord(out.properties) ? out.properties : {};
    const missing = out.required.filter(
      (name) => typeof name === 'string' && !Object.hasOwn(properties, name),
    );
    if (missing.length > 0)
      out.properties = { ...Object.fromEntries(missing.map((name) => [name, {}])), ...properties };
  }
  if (exact.length === 0) return out;
  const { $defs, ...rest } = out;
  const checks = Object.keys(rest).length > 0 ? [rest, ...exact] : exact;
  return {
    ...(checks.length === 1 ? (checks[0] as object) : { allOf: checks }),
    ...($defs ? { $defs } : {}),
  };
}

function validatorOf(schema: SchemaLike): z.ZodType {
  if (isZodSchema(schema)) return schema;
  let out = validators.get(schema);
  if (!out) {
    out = z.fromJSONSchema(readable(schema) as Parameters<typeof z.fromJSONSchema>[0]);
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
