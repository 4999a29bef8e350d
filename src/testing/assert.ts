// The suite's own assertions: it runs under any test runner (or none), so it brings no `expect`.
// Each failure is a ConformanceError whose message says what the model did and what it must do.
import { isMlkitError } from '../errors.ts';
import type { SchemaLike } from '../tasks/json-schema.ts';
import { checkAgainstSchema } from '../tasks/json-schema-check.ts';

/** A model broke the contract: the message names the rule and what the model did instead. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

/** A value as a failure message shows it. */
export function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new ConformanceError(typeof message === 'string' ? message : message());
}

export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  assert(Object.is(actual, expected), () => `${what} must be ${show(expected)} (got ${show(actual)})`);
}

/** Keys sorted at every level, so equal JSON values give equal text; undefined members drop out. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

export function assertSameJson(actual: unknown, expected: unknown, what: string): void {
  assert(
    canonical(actual) === canonical(expected),
    () => `${what} must be ${show(expected)} (got ${show(actual)})`,
  );
}

/** The error is an mlkit error with one of the codes. */
export function assertMlkitCode(error: unknown, codes: readonly string[], what: string): void {
  assert(
    error !== undefined,
    `${what} must fail with an mlkit error coded ${codes.join(' or ')}, but it succeeded`,
  );
  assert(
    isMlkitError(error),
    () => `${what} must fail with an mlkit error (from @mlkit/core), got ${show(error)}`,
  );
  assert(
    codes.includes(error.code),
    () => `${what} must fail with code ${codes.join(' or ')} (got "${error.code}": ${error.message})`,
  );
}

export function assertMatchesSchema(schema: SchemaLike, value: unknown, what: string): void {
  const check = checkAgainstSchema(schema, value);
  assert(check.success, () => `${what} ${show(value)} must match its schema: ${show(check)}`);
}

/** A zod safeParse result is a success, or its issues name what is wrong. */
export function assertParsed(
  result: { success: boolean; error?: { issues: unknown } },
  what: string,
  value: unknown,
): void {
  assert(
    result.success,
    () => `${what} ${show(value)} must match the task's schema: ${show(result.error?.issues)}`,
  );
}
