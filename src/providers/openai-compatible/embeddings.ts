/** Embeddings over POST embeddings: long text lists split into batches, sent a few at a time, order kept. */
import { defineModel } from '../../define-model.ts';
import { InvalidInputError, ResponseValidationError } from '../../errors.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import {
  decodeEmbeddingsResponse,
  dimensionsOf,
  encodeEmbeddingsRequest,
} from '../../protocols/openai/embeddings.ts';
import { EmbeddingResponse } from '../../protocols/openai/schemas.ts';
import type { EmbeddingTask } from '../../tasks/embedding.ts';
import { embedding } from '../../tasks/embedding.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import type { Usage } from '../../tasks/usage.ts';
import { callOptions } from './request.ts';

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

/** `value` when it is a positive integer, `fallback` when undefined; else an InvalidInputError naming `name`. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidInputError(`${name} must be a positive integer (got ${value})`, {
      issues: [{ path: name, message: 'expected a positive integer' }],
    });
  }
  return value;
}

/** Run `work` on every item with at most `concurrency` at once; results in item order; the first failure stops the rest. */
export async function mapBounded<T, R>(
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

  const wire = { modelName, encodingFormat, provider };

  async function embedBatch(
    input: ParsedInputOf<EmbeddingTask>,
    options: ReturnType<typeof callOptions>,
    signal: AbortSignal,
  ) {
    const count = 'texts' in input ? input.texts.length : input.tokens.length;
    const response = await transport.json({
      path: 'embeddings',
      body: encodeEmbeddingsRequest(input, wire),
      schema: EmbeddingResponse,
      ...options,
      signal,
    });
    if (response.data.length !== count) {
      throw new ResponseValidationError(
        `${provider} returned ${response.data.length} embeddings for ${count} texts`,
        { provider },
      );
    }
    return decodeEmbeddingsResponse(response, wire);
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
      const batches: ParsedInputOf<EmbeddingTask>[] = [];
      const { dimensions } = input;
      if ('texts' in input) {
        for (let start = 0; start < input.texts.length; start += maxBatchSize)
          batches.push({ texts: input.texts.slice(start, start + maxBatchSize), dimensions });
      } else {
        for (let start = 0; start < input.tokens.length; start += maxBatchSize)
          batches.push({ tokens: input.tokens.slice(start, start + maxBatchSize), dimensions });
      }
      const options = callOptions(call);
      const results = await mapBounded(batches, concurrency, call.signal, (batch, signal) =>
        embedBatch(batch, options, signal),
      );
      if (results.length === 1) return results[0]!;
      const vectors = results.flatMap((result) => result.embeddings);
      const usage: Usage = {};
      for (const { usage: batch } of results) {
        if (batch.inputTokens !== undefined) usage.inputTokens = (usage.inputTokens ?? 0) + batch.inputTokens;
        if (batch.totalTokens !== undefined) usage.totalTokens = (usage.totalTokens ?? 0) + batch.totalTokens;
      }
      return { embeddings: vectors, dimensions: dimensionsOf(vectors, provider), usage };
    },
  });
}
