import { type Task, type TaskByName, type TaskName, UnsupportedError } from '@mlkit/core';
import type { LocalRunner } from './context.ts';

/**
 * The runner of a built-in task that has no local implementation in this version: loading a model
 * as that task fails at once, by name, before any session is opened.
 */
export function notLocalYet<N extends TaskName>(name: N): LocalRunner<TaskByName<N> & Task> {
  return {
    needs: () => ({}),
    build() {
      throw new UnsupportedError(`@mlkit/onnx has no local ${name} runner in this version`, {
        param: 'task',
      });
    },
  };
}
