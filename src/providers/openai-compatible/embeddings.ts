/** Embeddings over POST embeddings: long text lists split into batches, sent a few at a time, order kept. */
import { defineModel } from '../../define-model.ts';
import { InvalidInputError, ResponseValidationError } from '../../errors.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import type { EmbeddingTask } from '../../tasks/embedding.ts';
import { embedding } from '../../tasks/embedding.ts';
import type { Usage } from '../../tasks/usage.ts';
import { callOptions } from './request.ts';
import { EmbeddingResponse } from './schemas.ts';

/** Options of `provider.embedding(model, settings)`. */
export interface EmbeddingSettings {
  /** Most texts per request; longer lists are split. Default 2048 (OpenAI's limit); lower it for small servers. */
  maxBatchSize?: number;
  /** Requests in flight at once when a call needs several batches. Default 4. */
  concurrency?: number;
  /**
   * 'base64' (default) asks for base64 float32, a quarter of the JSON of 'float'; servers that ignore
   * it and send number arrays still work. 'float' for servers that reject the parameter.
   */
  encodingFormat?: 'base64' | 'float';
}

/** What embeddings.ts needs from the provider. */
export interface EmbeddingContext {
  provider: string;
  transport: Transport;
  /** The provider's listener for every call's events. */
  onEvent?: ((event: ModelEvent) => void) | undefined;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidInputError(`${name} must be a positive integer (got ${value})`, {
      issues: [{ path: name, message: 'expected a positive integer' }],
    });
  }
  return value;
}

// Uint8Array.fromBase64 where the runtime has it (V8 14+, Firefox, Safari); atob elsewhere.
const fromBase64 = (Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array<ArrayBuffer> })
  .fromBase64;

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  if (fromBase64) return fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A base64 embedding as floats. The bytes are little-endian float32 (OpenAI's format), read in the
 * platform's byte order — little-endian on every platform Node and browsers run on.
 */
export function decodeBase64Embedding(text: string, provider: string): Float32Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = base64Bytes(text);
  } catch (cause) {
    throw new ResponseValidationError(`${provider} sent an embedding that is not valid base64`, {
      provider,
      cause,
    });
  }
  if (bytes.byteLength % 4 !== 0) {
    throw new ResponseValidationError(
      `${provider} sent a base64 embedding of ${bytes.byteLength} bytes, not a whole number of float32 values`,
      { provider },
    );
  }
  // A fresh copy is aligned to 4 bytes, which Float32Array needs.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

/** Run `work` on every item with at most `concurrency` at once; results in item order; the first failure stops the rest. */
async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  work: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  if (items.length === 1) return [await work(items[0]!, signal)];
  const stop = new AbortController();
  const linked = AbortSignal.any([signal, stop.signal]);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !linked.aborted) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, linked);
      } catch (error) {
        stop.abort(error);
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, worker);
  // allSettled, not all: every request has ended (none left running) when the call settles.
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw stop.signal.aborted ? stop.signal.reason : (failed as PromiseRejectedResult).reason;
  return results;
}

/** Build the embedding Model for one served model. */
export function createEmbeddingModel(
  id: string,
  modelName: string,
  context: EmbeddingContext,
  settings: EmbeddingSettings = {},
): Model<EmbeddingTask> {
  const { provider, transport } = context;
  const maxBatchSize = positiveInteger('maxBatchSize', settings.maxBatchSize, 2048);
  const concurrency = positiveInteger('concurrency', settings.concurrency, 4);
  const encodingFormat = settings.encodingFormat ?? 'base64';
  if (encodingFormat !== 'base64' && encodingFormat !== 'float') {
    throw new InvalidInputError(
      `encodingFormat must be 'base64' or 'float' (got ${String(encodingFormat)})`,
      {
        issues: [{ path: 'encodingFormat', message: "expected 'base64' or 'float'" }],
      },
    );
  }

  async function embedBatch(
    texts: string[] | number[][],
    dimensions: number | undefined,
    options: ReturnType<typeof callOptions>,
    signal: AbortSignal,
  ) {
    const body: Record<string, unknown> = { model: modelName, input: texts, encoding_format: encodingFormat };
    if (dimensions !== undefined) body.dimensions = dimensions;
    const response = await transport.json({
      path: 'embeddings',
      body,
      schema: EmbeddingResponse,
      ...options,
      signal,
    });
    if (response.data.length !== texts.length) {
      throw new ResponseValidationError(
        `${provider} returned ${response.data.length} embeddings for ${texts.length} texts`,
        { provider },
      );
    }
    // Servers may answer out of order; `index` says which text each vector belongs to.
    const vectors = new Array<Float32Array<ArrayBuffer>>(texts.length);
    for (const item of response.data) {
      if (item.index >= texts.length || vectors[item.index]) {
        throw new ResponseValidationError(
          `${provider} returned embedding index ${item.index} twice or out of range for ${texts.length} texts`,
          { provider },
        );
      }
      vectors[item.index] =
        typeof item.embedding === 'string'
          ? decodeBase64Embedding(item.embedding, provider)
          : Float32Array.from(item.embedding);
    }
    return { vectors, usage: response.usage };
  }

  return defineModel({
    id,
    onEvent: context.onEvent,
    task: embedding,
    capabilities: {
      streaming: false,
      batching: true,
      maxBatch: maxBatchSize,
      local: false,
      tokenInput: true,
    },

    async run(input, call) {
      // OpenAI's API takes token-id arrays as `input` as it takes texts.
      const items: string[] | number[][] = 'texts' in input ? input.texts : input.tokens;
      const batches: (string[] | number[][])[] = [];
      for (let start = 0; start < items.length; start += maxBatchSize) {
        batches.push(items.slice(start, start + maxBatchSize));
      }
      const options = callOptions(call);
      const results = await mapBounded(batches, concurrency, call.signal, (texts, signal) =>
        embedBatch(texts, input.dimensions, options, signal),
      );

      const embeddings = results.flatMap((result) => result.vectors);
      const dimensions = embeddings[0]!.length;
      if (dimensions === 0 || embeddings.some((vector) => vector.length !== dimensions)) {
        throw new ResponseValidationError(
          `${provider} returned embeddings of different or zero lengths (${[...new Set(embeddings.map((v) => v.length))].join(', ')})`,
          { provider },
        );
      }
      const usage: Usage = {};
      for (const { usage: batch } of results) {
        if (batch?.prompt_tokens != null) usage.inputTokens = (usage.inputTokens ?? 0) + batch.prompt_tokens;
        if (batch?.total_tokens != null) usage.totalTokens = (usage.totalTokens ?? 0) + batch.total_tokens;
      }
      return { embeddings, dimensions, usage };
    },
  });
}
