import type { ChunkOf, InputOf, OutputOf, Task } from './tasks/task.ts';
import type { TensorDType } from './tasks/tensor.ts';

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
  /** Extra HTTP headers for this call (remote models; ignored locally). An `x-request-id` here replaces the one mlkit makes per call. */
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
  /** Text generation takes `tools` and returns `toolCalls`; servers refuse `tools` (400) otherwise. */
  tools?: boolean;
  /** Text generation enforces `responseFormat` json with a schema (strict mode, or constrained decoding); servers refuse it (400) otherwise. */
  jsonSchema?: boolean;
  /** Text generation reads image parts in user messages; servers refuse them (400) otherwise. */
  images?: boolean;
  /** Embedding takes token ids (`{ tokens }`) besides texts; servers refuse token input (400) otherwise. */
  tokenInput?: boolean;
  /**
   * Text to speech: the voices it takes by name, where it knows them (`[]`: one speaker, no names).
   * `@mlkit/server` answers OpenAI's required `voice` for a model with no voices by leaving it out,
   * with an `x-mlkit-warning` header saying so.
   */
  voices?: readonly string[];
  /**
   * The tensors the model reads and writes, when it knows them (an ONNX graph's inputs and
   * outputs). `@mlkit/server` serves them as OIP v2 model metadata.
   */
  signature?: ModelSignature;
}

/** One tensor of a model's signature: dims are numbers when fixed, a name or null when variable. */
export interface TensorSignature {
  readonly name: string;
  /** Undefined when the model does not say (or the value is not a tensor). */
  readonly dtype?: TensorDType;
  readonly shape?: readonly (number | string | null)[];
}

/** The tensors a model reads (`inputs`) and writes (`outputs`), in the model's order. */
export interface ModelSignature {
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
}

/**
 * Events for every request, retry, response and result, so logging and tracing plug in without patching.
 * The HTTP ones (request, retry, response, error) carry the call's `requestId`: the `x-request-id`
 * sent on each of its attempts, which an `@mlkit/server` replica logs and returns.
 */
export type ModelEvent =
  | { type: 'request'; modelId: string; requestId: string; attempt: number; method: string; url: string }
  | {
      type: 'retry';
      modelId: string;
      requestId: string;
      attempt: number;
      delayMs: number;
      reason: string;
      status?: number;
    }
  | {
      type: 'response';
      modelId: string;
      requestId: string;
      attempt: number;
      status: number;
      durationMs: number;
    }
  | { type: 'error'; modelId: string; requestId: string; attempt: number; error: Error }
  | { type: 'result'; modelId: string; durationMs: number }
  /** A composite model (`fallback`) gave up on member `from` and tries member `to`; `reason` is why. */
  | { type: 'fallback'; modelId: string; from: string; to: string; reason: string }
  /** `cache()` answered from its store (`key` is the store key), or missed and calls the model. */
  | { type: 'cache-hit' | 'cache-miss'; modelId: string; key: string }
  /** `limit()` holds the call: `position` calls wait before it, for `reason`. */
  | {
      type: 'queued';
      modelId: string;
      position: number;
      reason: 'concurrency' | 'requests-per-minute' | 'tokens-per-minute';
    }
  /** `meter()` priced a finished call (in US dollars, from the user's prices). */
  | {
      type: 'cost';
      modelId: string;
      costUsd: number;
      inputTokens: number;
      outputTokens: number;
      computeMs: number;
    }
  /** `fallback`'s circuit breaker for `member`: opened after `failures` failures in a row (skipped for `cooldownMs`), half-open (one probe call), closed again, or skipped while open. */
  | { type: 'circuit-open'; modelId: string; member: string; failures: number; cooldownMs: number }
  | { type: 'circuit-half-open' | 'circuit-close'; modelId: string; member: string }
  | { type: 'circuit-skip'; modelId: string; member: string; retryInMs: number };

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
