export * from './classification.ts';
export * from './embedding.ts';
export * from './task.ts';
export * from './tensor.ts';
export * from './text-generation.ts';
export * from './usage.ts';

import { classification } from './classification.ts';
import { embedding } from './embedding.ts';
import { tensor } from './tensor.ts';
import { textGeneration } from './text-generation.ts';

/** Every built-in task by name. */
export const tasks = {
  'text-generation': textGeneration,
  embedding,
  classification,
  tensor,
} as const;
/** The name of a built-in task: `'text-generation' | 'embedding' | 'classification' | 'tensor'`. */
export type TaskName = keyof typeof tasks;
/** The task type of a task name, e.g. `TaskByName<'embedding'>` is `EmbeddingTask`. */
export type TaskByName<N extends TaskName> = (typeof tasks)[N];
