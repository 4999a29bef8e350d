/** Models by configuration: a composed setup (fallback, route, cache, limit, meter) from JSON. */
import * as z from 'zod';
import { cache } from './compose/cache.ts';
import { fallback } from './compose/fallback.ts';
import { limit } from './compose/limit.ts';
import { type MeteredModel, meter, Pricing } from './compose/meter.ts';
import { route } from './compose/route.ts';
import { InvalidInputError, isMlkitError } from './errors.ts';
import type { Model } from './model.ts';
import { createModel } from './registry.ts';
import { type TaskByName, type TaskName, tasks } from './tasks/index.ts';
import type { Task } from './tasks/task.ts';

const positiveInteger = z.number().int().positive();

const RouteRule = z.strictObject({
  /** Use this rule's model when the input's text (prompt, messages, texts) matches this regular expression. */
  if: z.strictObject({ inputMatches: z.string(), flags: z.string().optional() }),
  /** Name of a model in `route.models`. */
  use: z.string(),
});

/**
 * Schema of one node of a model configuration: a model spec string, or an object with exactly one of
 * `model` (a `scheme:id` spec for createModel, with its `options`), `fallback` (a list of nodes) or
 * `route` (named nodes and rules), plus optional `cache`, `limit` and `meter` around it (applied in
 * that order from the outside: a cache hit is neither limited nor billed).
 */
export const ModelConfig: z.ZodType<ModelConfigOutput, ModelConfigInput> = z.preprocess(
  (value) => (typeof value === 'string' ? { model: value } : value),
  z.strictObject({
    /** The task every model of the setup runs (top level; passed to each createModel). */
    task: z.enum(Object.keys(tasks) as [TaskName, ...TaskName[]]).optional(),
    model: z.string().min(1).optional(),
    /** createModel()'s options for `model`, e.g. `{ "baseURL": "http://127.0.0.1:8000/v1" }`. */
    options: z.record(z.string(), z.unknown()).optional(),
    get fallback() {
      return z.array(ModelConfig).min(1).optional();
    },
    circuit: z
      .strictObject({ failureThreshold: positiveInteger, cooldownMs: z.number().nonnegative() })
      .optional(),
    get route() {
      return z
        .strictObject({
          models: z.record(z.string(), ModelConfig),
          when: z.array(RouteRule).default([]),
          default: z.string(),
        })
        .optional();
    },
    cache: z
      .strictObject({ ttlMs: z.number().positive().optional(), maxEntries: positiveInteger.optional() })
      .optional(),
    limit: z
      .strictObject({
        concurrency: positiveInteger.optional(),
        requestsPerMinute: positiveInteger.optional(),
        tokensPerMinute: positiveInteger.optional(),
      })
      .optional(),
    /** Meter this node; `name` keys it in `meters` (default: the model's id). */
    meter: z.strictObject({ pricing: Pricing, name: z.string().optional() }).optional(),
    id: z.string().optional(),
  }),
) as never;

/** One node of a model configuration as written (JSON). */
export type ModelConfigInput =
  | string
  | {
      task?: TaskName;
      model?: string;
      options?: Record<string, unknown>;
      fallback?: ModelConfigInput[];
      circuit?: { failureThreshold: number; cooldownMs: number };
      route?: {
        models: Record<string, ModelConfigInput>;
        when?: { if: { inputMatches: string; flags?: string }; use: string }[];
        default: string;
      };
      cache?: { ttlMs?: number; maxEntries?: number };
      limit?: { concurrency?: number; requestsPerMinute?: number; tokensPerMinute?: number };
      meter?: { pricing: Pricing; name?: string };
      id?: string;
    };
/** One node of a model configuration after validation (strings became `{ model }`). */
export type ModelConfigOutput = Omit<Exclude<ModelConfigInput, string>, 'fallback' | 'route'> & {
  fallback?: ModelConfigOutput[];
  route?: { models: Record<string, ModelConfigOutput>; when: z.output<typeof RouteRule>[]; default: string };
};

/** A configured model: the composed Model, its meters by name, and a dispose() that frees every model. */
export type ConfiguredModel<T extends Task = Task> = Model<T> & {
  /** Every `meter` of the configuration, by its `name` (default: the metered model's id). */
  readonly meters: Readonly<Record<string, MeteredModel<T>>>;
};

/** `config.fallback[1].model` from zod's path. */
function pathOf(base: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${String(key)}`),
    base,
  );
}

function configError(path: string, message: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError(`${path}: ${message}`, { issues: [{ path, message }], cause });
}

/** The text a route rule's `inputMatches` is tested against: prompt, messages, text(s). */
function textOf(input: unknown): string {
  const value = input as {
    prompt?: string;
    messages?: { content: string }[];
    text?: string | string[];
    texts?: string[];
  };
  if (typeof value.prompt === 'string') return value.prompt;
  if (Array.isArray(value.messages)) return value.messages.map((message) => message.content).join('\n');
  if (value.text !== undefined) return ([] as string[]).concat(value.text).join('\n');
  if (Array.isArray(value.texts)) return value.texts.join('\n');
  return '';
}

/**
 * Build a composed model from a configuration: an object, or a JSON string (an environment variable's
 * value; a string that is not JSON is one model spec). Every model leaf goes through createModel().
 * The configuration is validated first, and errors name the path: `config.fallback[1].model:
 * unknown scheme "onx"`. The configured model owns its models: dispose() frees them all.
 *
 * @example
 * const model = await createModelFromConfig(process.env.MLKIT_CONFIG ?? {
 *   task: 'text-generation',
 *   route: {
 *     models: { hosted: 'openai:gpt-4o-mini', local: 'onnx:./models/smollm' },
 *     when: [{ if: { inputMatches: '\\b(patient|diagnosis)\\b', flags: 'i' }, use: 'local' }],
 *     default: 'hosted',
 *   },
 *   cache: { ttlMs: 60_000 },
 * });
 */
export async function createModelFromConfig<N extends TaskName = TaskName>(
  config: ModelConfigInput,
): Promise<ConfiguredModel<TaskByName<N>>> {
  const raw = typeof config === 'string' ? parseJson(config) : config;
  const parsed = ModelConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(
      `Invalid model configuration — ${pathOf('config', issue.path)}: ${issue.message}`,
      {
        issues: parsed.error.issues.map((each) => ({
          path: pathOf('config', each.path),
          message: each.message,
        })),
      },
    );
  }
  check(parsed.data, 'config');

  const created: Model[] = [];
  const meters: Record<string, MeteredModel<TaskByName<N>>> = {};
  const task = parsed.data.task;

  async function build(node: ModelConfigOutput, path: string): Promise<Model> {
    let model: Model;
    if (node.model !== undefined) {
      model = await leaf(node.model, node.options, path);
    } else if (node.fallback) {
      const members: Model[] = [];
      for (const [index, member] of node.fallback.entries())
        members.push(await build(member, `${path}.fallback[${index}]`));
      model = compose(path, () =>
        fallback(members, {
          ...(node.circuit ? { circuit: node.circuit } : {}),
          ...(node.id ? { id: node.id } : {}),
        }),
      );
    } else {
      const spec = node.route!;
      const models: Record<string, Model> = {};
      for (const [name, member] of Object.entries(spec.models))
        models[name] = await build(member, `${path}.route.models.${name}`);
      const rules = spec.when.map((rule) => ({
        pattern: new RegExp(rule.if.inputMatches, rule.if.flags),
        use: rule.use,
      }));
      model = compose(path, () =>
        route({
          models,
          select: (input) => rules.find((rule) => rule.pattern.test(textOf(input)))?.use ?? spec.default,
          ...(node.id ? { id: node.id } : {}),
        }),
      );
    }
    if (node.meter) {
      const metered = compose(path, () => meter(model, node.meter!.pricing));
      const name = node.meter.name ?? model.id;
      if (Object.hasOwn(meters, name)) {
        throw configError(`${path}.meter`, `two meters are named "${name}"; give one a "name"`);
      }
      meters[name] = metered as MeteredModel<TaskByName<N>>;
      model = metered;
    }
    if (node.limit) {
      const options = node.limit;
      model = compose(path, () => limit(model, options));
    }
    if (node.cache) {
      const options = node.cache;
      model = compose(path, () => cache(model, options));
    }
    return model;
  }

  async function leaf(
    spec: string,
    options: Record<string, unknown> | undefined,
    path: string,
  ): Promise<Model> {
    const at = `${path}.model`;
    try {
      const model = await createModel(spec, { ...options, ...(task ? { task } : {}) } as never);
      created.push(model);
      return model;
    } catch (error) {
      if (isMlkitError(error) && error.code === 'invalid_input') {
        const issue = (error as InvalidInputError).issues[0];
        throw configError(
          at,
          issue && issue.path === 'spec' ? `${issue.message} (${error.message})` : error.message,
          error,
        );
      }
      throw error;
    }
  }

  let top: Model;
  try {
    top = await build(parsed.data, 'config');
  } catch (error) {
    await Promise.allSettled(created.map((model) => model.dispose()));
    throw error;
  }
  return {
    ...top,
    meters,
    async dispose() {
      await top.dispose();
      await Promise.all(created.map((model) => model.dispose()));
    },
  } as ConfiguredModel<TaskByName<N>>;
}

/** A composition helper's InvalidInputError, with the configuration path in front. */
function compose<M>(path: string, make: () => M): M {
  try {
    return make();
  } catch (error) {
    if (isMlkitError(error) && error.code === 'invalid_input') throw configError(path, error.message, error);
    throw error;
  }
}

function parseJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('"')) return trimmed;
  try {
    return JSON.parse(trimmed);
  } catch (cause) {
    throw new InvalidInputError(`config is not valid JSON: ${(cause as Error).message}`, {
      issues: [{ path: 'config', message: 'expected JSON' }],
      cause,
    });
  }
}

/** What zod cannot say: one kind per node, route names that exist, regular expressions that compile. */
function check(node: ModelConfigOutput, path: string): void {
  const kinds = (['model', 'fallback', 'route'] as const).filter((kind) => node[kind] !== undefined);
  if (kinds.length !== 1) {
    throw configError(
      path,
      kinds.length === 0
        ? 'expected a model spec string or an object with one of "model", "fallback" or "route"'
        : `expected one of "model", "fallback" or "route" (got ${kinds.map((kind) => `"${kind}"`).join(' and ')})`,
    );
  }
  if (node.task !== undefined && path !== 'config')
    throw configError(`${path}.task`, 'task is set once, at the top level');
  if (node.options !== undefined && node.model === undefined) {
    throw configError(`${path}.options`, 'options belong to a "model" node');
  }
  if (node.circuit !== undefined && node.fallback === undefined) {
    throw configError(`${path}.circuit`, 'circuit belongs to a "fallback" node');
  }
  for (const [index, member] of (node.fallback ?? []).entries()) check(member, `${path}.fallback[${index}]`);
  if (node.route) {
    const names = Object.keys(node.route.models);
    const known = names.map((name) => `"${name}"`).join(', ');
    if (names.length === 0) throw configError(`${path}.route.models`, 'expected at least one model');
    for (const name of names) check(node.route.models[name]!, `${path}.route.models.${name}`);
    node.route.when.forEach((rule, index) => {
      const at = `${path}.route.when[${index}]`;
      if (!names.includes(rule.use)) throw configError(`${at}.use`, `"${rule.use}" is not one of ${known}`);
      try {
        new RegExp(rule.if.inputMatches, rule.if.flags);
      } catch (error) {
        throw configError(
          `${at}.if.inputMatches`,
          `not a valid regular expression (${(error as Error).message})`,
        );
      }
    });
    if (!names.includes(node.route.default)) {
      throw configError(`${path}.route.default`, `"${node.route.default}" is not one of ${known}`);
    }
  }
}
