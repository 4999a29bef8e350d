import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { type TaskName, tasks } from '@mlkit/core';

/** A mistake in the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** The command whose help to point at. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** Options every command that opens a model takes. */
export const modelOptions = {
  task: { type: 'string', short: 't' },
  option: { type: 'string', short: 'o', multiple: true },
  config: { type: 'string', short: 'c' },
} as const satisfies ParseArgsOptionsConfig;

/** `parseArgs` with `--help`, and unknown options as a UsageError that names the command. */
export function parse<const O extends ParseArgsOptionsConfig>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

/** `--task` checked against the built-in tasks. */
export function taskOf(value: string | undefined, command: string): TaskName | undefined {
  if (value === undefined) return undefined;
  if (!Object.hasOwn(tasks, value)) {
    throw new UsageError(`--task must be one of ${Object.keys(tasks).join(', ')} (got "${value}")`, command);
  }
  return value as TaskName;
}

/**
 * `--option key=value` pairs as createModel() options: the value is JSON when it parses
 * (`maxRetries=0`, `headers={"x-team":"a"}`), else the string; dotted keys nest (`retry.maxRetries=2`).
 */
export function optionsOf(pairs: readonly string[] | undefined, command: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--option must be key=value (got "${pair}")`, command);
    const keys = pair.slice(0, equals).split('.');
    const text = pair.slice(equals + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the plain string, e.g. baseURL=http://127.0.0.1:8000/v1.
    }
    let target = options;
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== 'object' || next === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys.at(-1)!] = value;
  }
  return options;
}

/** A positive integer flag such as `--concurrency 4`. */
export function positiveIntegerOf(
  value: string | undefined,
  flag: string,
  command: string,
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`--${flag} must be a positive integer (got "${value}")`, command);
  }
  return number;
}

/** A port flag: an integer from 0 to 65535. */
export function portOf(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new UsageError(`--port must be a port number from 0 to 65535 (got "${value}")`, command);
  }
  return port;
}
