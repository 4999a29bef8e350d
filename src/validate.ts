import type * as z from 'zod/mini';
import { InvalidInputError, type InvalidInputIssue } from './errors.ts';
import { safeParse } from './zod.ts';

type Issue = z.core.$ZodIssue;

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Flatten zod issues; for a union, report the branch that came closest rather than "Invalid input". */
function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors.map((branch) => flatten(branch, path));
      const score = (b: Issue[]) => b.length + 10 * b.filter((i) => i.code === 'unrecognized_keys').length;
      const best = branches.reduce((a, b) => (score(b) < score(a) ? b : a));
      out.push(...best);
    } else {
      out.push({ ...issue, path } as Issue);
    }
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value: any = root;
  for (const key of path) value = value == null ? undefined : value[key as any];
  return value;
}

/** A hand-written parser for well-formed input: the schema's output, or undefined to leave it to zod. */
export type FastParse<S extends z.core.$ZodType> = (value: unknown) => z.output<S> | undefined;

const fastParsers = new WeakMap<z.core.$ZodType, FastParse<z.core.$ZodType>>();

/**
 * Give `schema` a fast path for `parseInput`. `parse` must return exactly what `schema.parse` would
 * (defaults applied, unknown keys stripped) for every value it accepts, and undefined for anything it
 * is not sure of: zod then parses it, so every error (and its message) still comes from the schema.
 */
export function withFastParse<S extends z.core.$ZodType>(schema: S, parse: FastParse<S>): S {
  fastParsers.set(schema, parse);
  return schema;
}

/**
 * Parse `value` with `schema`; on failure throw an InvalidInputError that names each path,
 * what was expected and what was given, e.g.
 * `input.messages[0].role: expected one of "system"|"user"|"assistant" (got "bot")`.
 */
export function parseInput<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  root = 'input',
): z.output<S> {
  const fast = fastParsers.get(schema)?.(value);
  if (fast !== undefined) return fast as z.output<S>;
  const result = safeParse(schema, value);
  if (result.success) return result.data;
  const issues: InvalidInputIssue[] = flatten(result.error.issues).map((issue) => {
    const given = issue.code === 'unrecognized_keys' ? '' : ` (got ${describe(valueAt(value, issue.path))})`;
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : `${issue.message}${given}`;
    return { path: formatPath(root, issue.path), message };
  });
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new InvalidInputError(`Invalid input — ${summary}`, { issues });
}
