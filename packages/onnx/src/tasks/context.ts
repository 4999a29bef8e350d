import type {
  AudioSource,
  CallContext,
  Capabilities,
  ChunkOf,
  OutputOf,
  ParsedInputOf,
  Task,
} from '@mlkit/core';
import type { FolderNeeds, ModelFolder } from '../folder.ts';
import type { ContinuousBatchingStats } from '../generation/continuous.ts';
import type { DecodeAudioOptions, DecodedAudio } from '../media/audio.ts';
import type { ResolvedOptions } from '../options.ts';
import type { RuntimeImages } from '../runtime.ts';
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
  /** The model file inside its folder (e.g. `onnx/decoder_model_merged.onnx`); undefined for bytes. */
  modelFile?: string | undefined;
  /**
   * Open another ONNX file of the model's folder with the same device and options (an encoder beside
   * its decoder); the loader releases it with the model. A ModelLoadError when the model came as bytes.
   */
  openSession?(file: string): Promise<Session>;
  /** The runtime's image decoder and resizer (vision tasks). */
  images: RuntimeImages;
  /** The runtime's audio decoder (speech tasks). */
  decodeAudio: AudioDecode;
}

/** Decodes one audio input to mono PCM (see media/audio.ts). */
export type AudioDecode = (source: AudioSource, options?: DecodeAudioOptions) => Promise<DecodedAudio>;

/** A task's implementation before `defineModel` adds validation, deadlines and lifecycle. */
export interface TaskRunner<T extends Task> {
  task: T;
  capabilities: Omit<Capabilities, 'local' | 'device'>;
  run(input: ParsedInputOf<T>, context: CallContext): Promise<OutputOf<T>>;
  stream?(input: ParsedInputOf<T>, context: CallContext): AsyncIterable<ChunkOf<T>>;
  /** Micro-batched runs so far (batching tasks). */
  batches?(): number;
  /** The continuous batcher's counters (text generation loaded with `continuousBatching`). */
  continuousBatching?(): ContinuousBatchingStats;
}

/**
 * A task's local runner as `loadModel` finds it: the folder files it needs (read once the task is
 * known, so a URL folder fetches nothing else), then its builder. Each task file exports one; the
 * loader keeps no per-task branches of its own.
 */
export interface LocalRunner<T extends Task> {
  /** Files to read besides config.json and the model file; `tokenizer` is read before the task is inferred. */
  needs(options: ResolvedOptions): FolderNeeds;
  build(context: TaskContext): TaskRunner<T> | Promise<TaskRunner<T>>;
}
