import { parseInput, tasks } from '@mlkit/core';
import { z } from 'zod';
import { ToolCallFormatName } from './generation/tool-calls.ts';

/** A download's progress: bytes so far and the total when the server sent a length. */
export const ProgressEvent = z.object({ file: z.string(), loaded: z.number(), total: z.number().optional() });
export type ProgressEvent = z.infer<typeof ProgressEvent>;

/** ONNX weight variants by file-name suffix, as Optimum and transformers.js name them. */
export const DType = z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4']);
export type DType = z.infer<typeof DType>;

export const LoadOptions = z.strictObject({
  /** The task to run; inferred from config.json and the model's outputs when omitted. */
  task: z.enum(Object.keys(tasks) as [keyof typeof tasks, ...(keyof typeof tasks)[]]).optional(),
  /** `auto`: WebGPU when an adapter exists (browser), else WASM (browser) or CPU (Node). */
  device: z.enum(['auto', 'cpu', 'wasm', 'webgpu', 'cuda']).default('auto'),
  /** Intra-op threads (Node) or WASM threads (browser, needs cross-origin isolation). */
  threads: z.number().int().positive().optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
  /** Which weight file of a folder to load (`model_fp16.onnx`, `model_quantized.onnx`, ...); fp32 first by default. */
  dtype: DType.optional(),
  /**
   * The folder's files (paths relative to it), e.g. `['config.json', 'onnx/model.onnx']`: only these
   * are read, and the model file is picked from them, so a URL folder gets no requests for files it
   * lacks. Without it, a URL folder is probed for its model file (`onnx/model.onnx`, then `model.onnx`).
   */
  files: z.array(z.string().min(1)).min(1).optional(),
  /** A model file inside the folder, e.g. `onnx/model_q4.onnx`; overrides `dtype`. */
  modelFile: z.string().optional(),
  /** Called as files download from a URL: `{ file, loaded, total }`. */
  onProgress: z.custom<(event: ProgressEvent) => void>((v) => typeof v === 'function').optional(),
  /** Downloads cache: a directory (Node) or a Cache API name (browser); `false` turns caching off. */
  cacheDir: z.union([z.string(), z.literal(false)]).optional(),
  /** Labels by class index; default: config.json `id2label`. */
  labels: z.array(z.string()).min(1).optional(),
  /** Object detection with a YOLO-style model: a box overlapping a better one of its class by more than this IoU is dropped (default 0.45). */
  iouThreshold: z.number().min(0).max(1).optional(),
  /** Embedding pooling; default: sentence-transformers `1_Pooling/config.json`, else mean. */
  pooling: z.enum(['mean', 'cls', 'last']).optional(),
  /** L2-normalise embeddings (default true). */
  normalize: z.boolean().optional(),
  /**
   * Most tokens per text; longer texts are truncated. Default: tokenizer.json `truncation.max_length`;
   * never more than tokenizer_config.json `model_max_length` or the model's position limit.
   */
  maxLength: z.number().int().positive().optional(),
  /** A Jinja chat template that replaces the model's own; `false` ignores the model's own (`prompt` is then raw text to continue). */
  chatTemplate: z.union([z.string(), z.literal(false)]).optional(),
  /**
   * How the model writes tool calls: `'hermes'` (Qwen2.5, Hermes: `<tool_call>` blocks), `'llama3-json'` or
   * `'mistral'` (`[TOOL_CALLS]`). Default: read from the chat template.
   */
  toolCallFormat: ToolCallFormatName.optional(),
  /** Micro-batching of concurrent calls (classification, embedding); `false` runs each call alone. */
  batching: z
    .union([
      z.literal(false),
      z.object({
        /**
         * How long the first waiting call waits for others, in ms. 0 (the default, as Triton's
         * max_queue_delay): calls made in the same tick share a run, and calls that arrive while a run
         * is busy go together in the next one, so a lone caller never waits for company.
         */
        windowMs: z.number().nonnegative().default(0),
        /** Most items (texts or rows) per run. */
        maxBatch: z.number().int().positive().default(32),
      }),
    ])
    .default({ windowMs: 0, maxBatch: 32 }),
  /**
   * Continuous batching of concurrent text generations (decoders with a KV cache and position_ids):
   * `run()` and `stream()` calls join a running batch between decode steps and leave it when they end,
   * so concurrent users share each step. Off (`false`) by default: each call decodes alone.
   */
  continuousBatching: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Most sequences decoding at once. */
        maxBatch: z.number().int().positive().default(8),
        /** Most KV cache tokens at once: the sum over running sequences of prompt + maxTokens. */
        maxKvTokens: z.number().int().positive().default(4096),
        /** Most calls that wait for a place; one more is refused with an OverloadedError. */
        maxQueue: z.number().int().nonnegative().default(64),
      }),
    ])
    .default(false),
  /**
   * Text generation: give a decoder export without a `logits_to_keep` input one (in memory, before
   * onnxruntime sees the graph), so a prefill computes the logits of its last position only. `false` opens
   * the graph as it is. `describe().logitsToKeep` says which happened.
   */
  logitsToKeep: z.boolean().default(true),
  /** Run one call at a time per session (always on with onnxruntime-web, which cannot run a session twice at once). */
  queue: z.boolean().default(true),
  /**
   * Run the session in a `node:worker_threads` Worker, so that a long run never blocks the event loop
   * (Node only; onnxruntime-web refuses it). Abort rejects a call at once; `dispose()` ends the worker.
   */
  worker: z.boolean().default(false),
  signal: z.custom<AbortSignal>((v) => typeof v === 'object' && v !== null && 'aborted' in v).optional(),
});
/** Options of `loadModel()`. */
export type LoadOptions = z.input<typeof LoadOptions>;
export type ResolvedOptions = z.output<typeof LoadOptions>;

export function resolveOptions(options: LoadOptions | undefined): ResolvedOptions {
  return parseInput(LoadOptions, options ?? {}, 'options');
}
