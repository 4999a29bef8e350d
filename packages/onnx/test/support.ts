import type { TaskByName, TaskName } from '@mlkit/core';
import { ensureFixtures, type FixtureName, fixturePath } from '../../../test/fixtures/paths.ts';
import { type LoadOptions, loadModel, type OnnxModel } from '../src/index.node.ts';
import type { ModelSource } from '../src/source.ts';

/** Absolute path of a generated fixture model folder, generating the fixtures first on a fresh clone. */
export function fixture(name: FixtureName, ...segments: string[]): string {
  ensureFixtures();
  return fixturePath(name, ...segments);
}

/** Largest absolute difference of two equal-length vectors. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(Number(a[i]) - Number(b[i])));
  return a.length === b.length ? most : Number.POSITIVE_INFINITY;
}

/**
 * Load with the task INFERRED from the folder (no `task` option), check that it inferred `task`,
 * and hand back the model typed for it.
 */
export async function loadInferred<N extends TaskName>(
  task: N,
  source: ModelSource,
  options: Omit<LoadOptions, 'task'> = {},
): Promise<OnnxModel<TaskByName<N>>> {
  const model = await loadModel(source, options);
  if (model.task !== task) {
    await model.dispose();
    throw new Error(`expected ${String(source)} to load as ${task}, got ${model.task}`);
  }
  return model as unknown as OnnxModel<TaskByName<N>>;
}
