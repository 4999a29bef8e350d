export type { BatchPlan } from './batch.ts';
export * from './classification.ts';
export * from './embedding.ts';
export * from './image-classification.ts';
export * from './json-schema.ts';
// Types only: checkAgainstSchema is '@mlkit/core/json-schema', so that this entry never loads the validator.
export type { SchemaCheck, SchemaIssue } from './json-schema-check.ts';
export * from './media.ts';
export * from './object-detection.ts';
export * from './speech-to-text.ts';
export * from './task.ts';
export * from './tensor.ts';
export * from './text-generation.ts';
export * from './text-to-speech.ts';
export * from './usage.ts';

import { classification } from './classification.ts';
import { embedding } from './embedding.ts';
import { imageClassification } from './image-classification.ts';
import { objectDetection } from './object-detection.ts';
import { speechToText } from './speech-to-text.ts';
import { tensor } from './tensor.ts';
import { textGeneration } from './text-generation.ts';
import { textToSpeech } from './text-to-speech.ts';

/**
 * Every built-in task, the one table of them: `tasks`, `TaskName` and `defineModel`'s typed
 * signatures (tried in this order) are made from it, so a new task is added here once.
 */
export const builtinTasks = [
  textGeneration,
  embedding,
  classification,
  tensor,
  imageClassification,
  objectDetection,
  speechToText,
  textToSpeech,
] as const;

type BuiltinTask = (typeof builtinTasks)[number];

/** Every built-in task by name. */
export const tasks = Object.freeze(Object.fromEntries(builtinTasks.map((task) => [task.name, task]))) as {
  readonly [T in BuiltinTask as T['name']]: T;
};
/** The name of a built-in task: `'text-generation' | 'embedding' | 'classification' | 'tensor' | 'image-classification' | ...`. */
export type TaskName = BuiltinTask['name'];
/** The task type of a task name, e.g. `TaskByName<'embedding'>` is `EmbeddingTask`. */
export type TaskByName<N extends TaskName> = (typeof tasks)[N];
