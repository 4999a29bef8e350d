/** What `fallback` and `route` share: checking their members and calling them inside the composite's call. */
import type { CallContext } from '../define-model.ts';
import { InvalidInputError } from '../errors.ts';
import { type Capabilities, isModel, type Model, type RunOptions } from '../model.ts';
import { type TaskByName, type TaskName, tasks } from '../tasks/index.ts';
import type { Task } from '../tasks/task.ts';

/**
 * The task of a model type, also for models with extra members (`meter()`'s, `loadModel()`'s), from
 * which TypeScript cannot infer `Model<T>`'s `T`: the built-in task of its name, else `T`.
 */
export type TaskOf<M extends Model> = M['task'] extends TaskName
  ? TaskByName<M['task']>
  : M extends Model<infer T>
    ? T
    : Task;

/** A member and how errors name it, e.g. `models[1]` or `models.local`. */
export type Member<T extends Task> = readonly [label: string, model: Model<T>];

const unchecked = new WeakMap<Task, Task>();

/**
 * `task` without its output check (`Task.check`), for a composite: its members are models, which
 * checked their outputs already. Checking again would be work for nothing, and wrong where a zod
 * schema transforms: a tool call's arguments would be parsed a second time from their output form.
 */
function withoutCheck<T extends Task>(task: T): T {
  if (!task.check) return task;
  let out = unchecked.get(task);
  if (!out) {
    out = Object.freeze({ ...task, check: undefined });
    unchecked.set(task, out);
  }
  return out as T;
}

/**
 * Check that every member is an mlkit model of one task and return that task's schemas: the built-in
 * task of that name, or `task` (required for a custom task, since a Model carries only its task's name).
 * The result has no output check (see `withoutCheck`): every member applies it itself.
 */
export function commonTask<T extends Task>(helper: string, members: readonly Member<T>[], task?: T): T {
  return withoutCheck(checkedCommonTask(helper, members, task));
}

function checkedCommonTask<T extends Task>(helper: string, members: readonly Member<T>[], task?: T): T {
  if (members.length === 0) {
    throw new InvalidInputError(`${helper} needs at least one model (got none)`, {
      issues: [{ path: 'models', message: 'expected at least one model' }],
    });
  }
  for (const [label, model] of members) {
    if (!isModel(model)) {
      throw new InvalidInputError(`${helper}: ${label} is not an mlkit Model`, {
        issues: [{ path: label, message: 'expected a Model (from defineModel, a provider or loadModel)' }],
      });
    }
  }
  const [firstLabel, first] = members[0]!;
  for (const [label, model] of members) {
    if (model.task !== first.task) {
      throw new InvalidInputError(
        `${helper}: every model must do the same task; ${label} (${model.id}) does "${model.task}" but ${firstLabel} (${first.id}) does "${first.task}"`,
        { issues: [{ path: label, message: `expected task "${first.task}" (got "${model.task}")` }] },
      );
    }
  }
  if (task) {
    if (task.name !== first.task) {
      throw new InvalidInputError(
        `${helper}: options.task is "${task.name}" but the models do "${first.task}"`,
        { issues: [{ path: 'options.task', message: `expected task "${first.task}" (got "${task.name}")` }] },
      );
    }
    return task;
  }
  const builtIn = tasks[first.task as TaskName] as Task | undefined;
  if (!builtIn) {
    throw new InvalidInputError(
      `${helper}: "${first.task}" is not a built-in task; pass its definition as options.task so input can be validated`,
      { issues: [{ path: 'options.task', message: `expected the Task object for "${first.task}"` }] },
    );
  }
  return builtIn as T;
}

/** Smallest defined `maxBatch` of the members, if any limits it. */
function smallestMaxBatch(models: readonly Model[]): number | undefined {
  const limits = models.map((model) => model.capabilities.maxBatch).filter((n) => n !== undefined);
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

/** Capabilities every member has: streaming and batching only when all of them do. */
export function sharedCapabilities(models: readonly Model[]): Pick<Capabilities, 'streaming' | 'batching'> & {
  maxBatch?: number;
} {
  const maxBatch = smallestMaxBatch(models);
  return {
    streaming: models.every((model) => model.capabilities.streaming),
    batching: models.every((model) => model.capabilities.batching),
    ...(maxBatch === undefined ? {} : { maxBatch }),
  };
}

/**
 * The options a member is called with: the caller's, except that the composite's signal (the caller's
 * signal plus the composite's total deadline) replaces `signal` and `timeoutMs`, so one deadline covers
 * every member rather than each starting its own.
 */
export function memberOptions(context: CallContext): RunOptions {
  const { signal: _signal, timeoutMs: _timeoutMs, ...rest } = context.options;
  const bounded = context.options.signal !== undefined || context.options.timeoutMs !== undefined;
  return bounded ? { ...rest, signal: context.signal } : rest;
}
