import { readFile } from 'node:fs/promises';
import {
  createModel,
  createModelFromConfig,
  InvalidInputError,
  type Model,
  type ModelConfigInput,
  type TaskName,
} from '@mlkit/core';
import { UsageError } from './args.ts';

/** How a command opens its model(s): a task to insist on and createModel() options. */
export interface OpenOptions {
  task?: TaskName | undefined;
  options?: Record<string, unknown>;
  /**
   * Open `onnx:` models with `worker: true` (their onnxruntime sessions in worker threads, so a long
   * run never blocks the event loop) unless the options or the configuration set `worker` themselves.
   */
  workerByDefault?: boolean;
}

/** The options an `onnx:` spec opens with: `worker: true` added when asked for and not set. */
function withWorker(spec: string, options: Record<string, unknown> | undefined, open: OpenOptions) {
  if (!open.workerByDefault || !spec.startsWith('onnx:') || options?.worker !== undefined) return options;
  return { ...options, worker: true };
}

/** A model as the command line names it: `name=scheme:id`, or `scheme:id` named after its last path segment. */
export interface NamedSpec {
  name: string;
  spec: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * `iris=onnx:./models/iris` -> { name: 'iris', spec: 'onnx:./models/iris' }; `onnx:./models/iris/`
 * -> name 'iris'; `openai:gpt-4o-mini` -> 'gpt-4o-mini'; `oip:http://triton:8000/iris` -> 'iris'.
 */
export function namedSpec(argument: string): NamedSpec {
  const equals = argument.indexOf('=');
  const colon = argument.indexOf(':');
  if (equals > 0 && (colon < 0 || equals < colon) && NAME.test(argument.slice(0, equals))) {
    return { name: argument.slice(0, equals), spec: argument.slice(equals + 1) };
  }
  const id = argument.slice(colon + 1).replace(/[\\/]+$/, '');
  const last =
    id
      .split(/[\\/]/)
      .at(-1)
      ?.replace(/\.onnx$/, '') ?? '';
  return { name: last || argument, spec: argument };
}

/** Names of models, each once: a repeat is an error that says how to rename. */
export function uniqueNames(specs: readonly NamedSpec[], command: string): void {
  const seen = new Set<string>();
  for (const { name, spec } of specs) {
    if (seen.has(name)) {
      throw new UsageError(
        `two models are named "${name}"; name one with name=model, e.g. "${name}-2=${spec}"`,
        command,
      );
    }
    seen.add(name);
  }
}

/** Read a JSON file, with errors that name the file. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new InvalidInputError(`cannot read the ${what} ${path}: ${(cause as Error).message}`, {
      issues: [{ path: what, message: 'file not readable' }],
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidInputError(`the ${what} ${path} is not valid JSON: ${(cause as Error).message}`, {
      issues: [{ path: what, message: 'expected JSON' }],
      cause,
    });
  }
}

/** createModel(spec) with `--task` and `--option`s. */
export function openSpec(spec: string, open: OpenOptions): Promise<Model> {
  const options = withWorker(spec, open.options, open);
  return createModel(spec, { ...options, ...(open.task ? { task: open.task } : {}) } as never);
}

/**
 * A model configuration (createModelFromConfig's JSON: a spec, or `{ model, options }`, `fallback`,
 * `route`, `cache`, `meter`...) with `--task` set at its top when given.
 */
export function openConfig(config: unknown, open: OpenOptions): Promise<Model> {
  let node = (typeof config === 'string' ? { model: config } : config) as Exclude<ModelConfigInput, string>;
  // Only a node's own `model` gets the worker default; fallback and route nodes keep what they say.
  const options = node?.options;
  if (typeof node?.model === 'string' && (options === undefined || isRecord(options))) {
    const withDefault = withWorker(node.model, options, open);
    if (withDefault !== options) node = { ...node, options: withDefault };
  }
  return createModelFromConfig(open.task ? { ...node, task: open.task } : node) as Promise<Model>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
