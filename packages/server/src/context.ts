import { parseInput } from '@mlkit/core';
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { readJson } from './body.ts';
import { HttpError } from './errors.ts';
import type { RequestScope } from './lifecycle.ts';
import type { ResolvedOptions } from './options.ts';
import type { ModelRunner } from './runner.ts';

/** Per-request values the middleware sets for handlers. */
export type AppEnv = { Variables: { scope: RequestScope; model: string; requestId: string } };
export type App = Hono<AppEnv>;

/** What every protocol's routes share. */
export interface ServerContext {
  readonly options: ResolvedOptions;
  readonly runners: Map<string, ModelRunner>;
  /** The runner serving `name`, or a 404 naming the served models. */
  runner(name: string): ModelRunner;
  /** The runner serving `name` if it runs one of `tasks`, else 404 / 400 saying which model would fit. */
  runnerFor(name: string, tasks: readonly string[], purpose: string): ModelRunner;
  /**
   * The JSON body (within `limits.maxBodyBytes` and `maxJsonDepth`, read before the request's
   * deadline) checked against `schema`; 4xx naming `body.<field>`.
   */
  readBody<S extends z.core.$ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>>;
}

export function createContext(options: ResolvedOptions, runners: Map<string, ModelRunner>): ServerContext {
  const served = () => [...runners.keys()].map((n) => `"${n}"`).join(', ');
  const runner = (name: string) => {
    const found = runners.get(name);
    if (!found) {
      throw new HttpError(404, `Model "${name}" is not served here; served models: ${served()}`, {
        code: 'model_not_found',
      });
    }
    return found;
  };
  return {
    options,
    runners,
    runner,
    readBody: async (c, schema) =>
      parseInput(schema, await readJson(c.req.raw, options.limits, c.get('scope').signal), 'body'),
    runnerFor(name, tasks, purpose) {
      const found = runner(name);
      if (tasks.includes(found.task)) return found;
      const fitting = [...runners.values()].filter((r) => tasks.includes(r.task)).map((r) => `"${r.name}"`);
      throw new HttpError(
        400,
        `Model "${name}" runs ${found.task}; ${purpose} need a ${tasks.join(' or ')} model${fitting.length ? ` (served: ${fitting.join(', ')})` : ''}`,
        { code: 'wrong_task', param: 'model' },
      );
    },
  };
}
