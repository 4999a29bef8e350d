/**
 * The check of a value against a schema users gave (tool parameters, `responseFormat.schema`): a zod
 * schema parses it, a JSON Schema is checked by @cfworker/json-schema. Text generation imports this
 * module only when a call has something to check (see text-generation.ts), so a plain chat call's
 * bundle does not carry the validator.
 */
import { type Schema, type SchemaDraft, Validator } from '@cfworker/json-schema';
import { isZodSchema, type JsonSchema, type SchemaLike } from './json-schema.ts';

/** One problem of a value checked against a schema: where (a JSON pointer-like path) and what. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** What a check against a schema gives: the (zod-parsed) value, or what is wrong with it. */
export type SchemaCheck = { success: true; value: unknown } | { success: false; issues: SchemaIssue[] };

const validators = new WeakMap<object, Validator>();

const DRAFTS: Record<string, SchemaDraft> = {
  'http://json-schema.org/draft-04/schema#': '4',
  'http://json-schema.org/draft-07/schema#': '7',
  'https://json-schema.org/draft/2019-09/schema': '2019-09',
  'https://json-schema.org/draft/2020-12/schema': '2020-12',
};

/** A JSON Schema's validator, made once per schema object; the draft is its `$schema` (default 2020-12). */
function validatorOf(schema: JsonSchema): Validator {
  let out = validators.get(schema);
  if (!out) {
    const draft =
      (typeof schema.$schema === 'string' && DRAFTS[schema.$schema.replace(/#?$/, (h) => h)]) || '2020-12';
    out = new Validator(schema as Schema, draft, false);
    validators.set(schema, out);
  }
  return out;
}

// Keywords whose failure only repeats the failures beneath it (the leaves say what is wrong).
const SUMMARY_KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'properties',
  'items',
  'prefixItems',
  'allOf',
  '$ref',
  'contains',
  'dependentSchemas',
]);

type ValidatorError = ReturnType<Validator['validate']>['errors'][number];

/**
 * The errors worth showing: the leaves, not the summaries above them; one error for an anyOf/oneOf
 * (not one per failing branch); "property x is not allowed" rather than "False boolean schema".
 */
function issuesOf(errors: readonly ValidatorError[]): SchemaIssue[] {
  const shown = errors.filter(
    (error) =>
      !SUMMARY_KEYWORDS.has(error.keyword) &&
      error.keyword !== 'false' &&
      !/\/(anyOf|oneOf)\/\d+\//.test(error.keywordLocation),
  );
  return (shown.length > 0 ? shown : errors).map((error) => {
    const path = pathOfPointer(error.instanceLocation);
    const required = error.keyword === 'required' ? /property "(.*)"/.exec(error.error) : null;
    if (required)
      return {
        path: `${path === '(root)' ? '' : path}.${required[1]}`,
        message: 'required property is missing',
      };
    return { path, message: error.error };
  });
}

/** `#/a/0/b` as `.a[0].b` (JSON pointer escapes read back). */
function pathOfPointer(pointer: string): string {
  const parts = pointer
    .replace(/^#\/?/, '')
    .split('/')
    .filter((part) => part !== '');
  let out = '';
  for (const raw of parts) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  return out || '(root)';
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out || '(root)';
}

/**
 * Check a parsed JSON value against a schema. A zod schema parses it (so its transforms and
 * defaults apply to the returned value).
 * A JSON Schema is checked by @cfworker/json-schema (drafts 4, 7, 2019-09 and 2020-12, no code
 * generation, so it runs under a strict CSP and on edge runtimes); a schema it cannot read gives one
 * issue saying so, not a throw.
 */
export function checkAgainstSchema(schema: SchemaLike, value: unknown): SchemaCheck {
  if (isZodSchema(schema)) {
    const result = schema.safeParse(value);
    if (result.success) return { success: true, value: result.data };
    return {
      success: false,
      issues: result.error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message })),
    };
  }
  let result: ReturnType<Validator['validate']>;
  try {
    result = validatorOf(schema).validate(value);
  } catch (error) {
    return {
      success: false,
      issues: [{ path: '(schema)', message: `the schema cannot be read: ${(error as Error).message}` }],
    };
  }
  if (result.valid) return { success: true, value };
  return { success: false, issues: issuesOf(result.errors) };
}
