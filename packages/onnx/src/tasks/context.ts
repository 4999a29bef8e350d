import type { CallContext, Capabilities, ChunkOf, OutputOf, ParsedInputOf, Task } from '@mlkit/core';
import type { FolderNeeds, ModelFolder } from '../folder.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Session } from '../session.ts';

/** What every task builder gets: the loaded session, the folder's files and the options. */
export interface TaskContext {
  session: Session;
  folder: ModelFolder;
  options: ResolvedOptions;
  /** Names the model in errors. */
  label: string;
  /** Where the session runs: 'cpu', 'wasm', 'webgpu', 'cuda'. */
  device: string;
  /** Class labels of the graph's ai.onnx.ml classifier node (read for tabular classification without id2label). */
  classifierLabels?: string[] | undefined;
}

/** A task's implementation before `defineModel` adds validation, deadlines and lifecycle. */
export interface TaskRunner<T extends Task> {
  task: T;
  capabilities: Omit<Capabilities, 'local' | 'device'>;
  run(input: ParsedInputOf<T>, context: CallContext): Promise<OutputOf<T>>;
  stream?(input: ParsedInputOf<T>, context: CallContext): AsyncIterable<ChunkOf<T>>;
  /** Micro-batched runs so far (batching tasks). */
  batches?(): number;
}

/**
 * A task's local runner as `loadModel` finds it: the folder files it needs (read once the task is
 * known, so a URL folder fetches nothing else), then its builder. Each task file exports one; the
 * loader keeps no per-task branches of its own.
 */
export interface LocalRunner<T extends Task> {
  /** Files to read besides config.json and the model file; `tokenizer` is read before the task is inferred. */
  needs(options: ResolvedOptions): FolderNeeds;
  build(context: TaskContext): TaskRunner<T>;
}
