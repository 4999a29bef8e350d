import type { ChunkOf, InputOf, OutputOf, Task } from './tasks/task.ts';

/** Per-call options, the same for hosted and local models. */
export interface RunOptions {
  /** Cancels the call: the HTTP request, a pending retry backoff, or local generation between steps. */
  signal?: AbortSignal;
  /** Deadline for the whole call, retries included, in milliseconds. */
  timeoutMs?: number;
  /** Streams: most milliseconds to wait for the first chunk (each attempt). */
  firstChunkTimeoutMs?: number;
  /** Streams: most milliseconds to wait between two chunks. */
  idleTimeoutMs?: number;
  /** Extra HTTP headers for this call (remote models; ignored locally). */
  headers?: Record<string, string>;
  /** Override the model's retry count for this call (remote models). */
  maxRetries?: number;
  /** Observe this call's requests, retries, responses and errors. */
  onEvent?: (event: ModelEvent) => void;
}

/** What a model can do, known before any call. */
export interface Capabilities {
  /** `stream()` yields chunks as they are produced. */
  streaming: boolean;
  /** One call accepts many items (texts or rows) and runs them together. */
  batching: boolean;
  /** Most items per underlying request or run, when limited. */
  maxBatch?: number;
  /** Runs in this process (true) or behind an API (false). */
  local: boolean;
  /** Where a local model runs: 'cpu', 'wasm', 'webgpu', 'cuda', ... */
  device?: string;
  /** Text generation honours `frequencyPenalty`, `presencePenalty` and `logitBias`; servers refuse them (400) otherwise. */
  logitAdjustments?: boolean;
  /** Embedding takes token ids (`{ tokens }`) besides texts; servers refuse token input (400) otherwise. */
  tokenInput?: boolean;
}

/** Events for every request, retry, response and result, so logging and tracing plug in without patching. */
export type ModelEvent =
  | { type: 'request'; modelId: string; attempt: number; method: string; url: string }
  | { type: 'retry'; modelId: string; attempt: number; delayMs: number; reason: string; status?: number }
  | { type: 'response'; modelId: string; attempt: number; status: number; durationMs: number }
  | { type: 'error'; modelId: string; attempt: number; error: Error }
  | { type: 'result'; modelId: string; durationMs: number }
  /** A composite model (`fallback`) gave up on member `from` and tries member `to`; `reason` is why. */
  | { type: 'fallback'; modelId: string; from: string; to: string; reason: string };

/**
 * The one interface over hosted and self-run models. `specificationVersion` is versioned from day
 * one: when the contract changes, adapters convert old implementations instead of breaking them.
 */
export interface Model<T extends Task = Task> {
  readonly specificationVersion: 1;
  /** `provider:model`, e.g. 'openai:gpt-4o-mini' or 'onnx:models/iris.onnx'. */
  readonly id: string;
  readonly task: T['name'];
  readonly capabilities: Capabilities;
  /** Validate the input, run the model, return the whole output. */
  run(input: InputOf<T>, options?: RunOptions): Promise<OutputOf<T>>;
  /**
   * Streaming tasks: yield chunks as they come. Breaking out of `for await` cancels the work;
   * a failure mid-stream is thrown from the iterator. Non-streaming tasks throw UnsupportedError.
   */
  stream(input: InputOf<T>, options?: RunOptions): AsyncIterable<ChunkOf<T>>;
  /** Release the model's resources. Idempotent; calls after it fail with a clear error. */
  dispose(): Promise<void>;
}

/** True when `value` implements the Model contract (from any copy of mlkit). */
export function isModel(value: unknown): value is Model {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Model).specificationVersion === 1 &&
    typeof (value as Model).run === 'function' &&
    typeof (value as Model).task === 'string'
  );
}
