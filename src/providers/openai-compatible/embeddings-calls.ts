/**
 * The calls of an embedding model (embeddings.ts): batches sent over POST embeddings, their answers
 * joined. A module of its own that the model imports at its first call, so that an app that never
 * embeds does not load the request and response mappings.
 */
import { type CallContext, defineModel } from '../../define-model.ts';
import { ResponseValidationError } from '../../errors.ts';
import type { Transport } from '../../http/types.ts';
import type { Capabilities, Model, ModelEvent } from '../../model.ts';
import {
  decodeEmbeddingsResponse,
  dimensionsOf,
  encodeEmbeddingsRequest,
} from '../../protocols/openai/embeddings.ts';
import { EmbeddingResponse } from '../../protocols/openai/schemas.ts';
import { type EmbeddingTask, embedding } from '../../tasks/embedding.ts';
import type { OutputOf, ParsedInputOf } from '../../tasks/task.ts';
import type { Usage } from '../../tasks/usage.ts';
import { mapBounded } from '../map-bounded.ts';
import { callOptions } from './request.ts';

type Input = ParsedInputOf<EmbeddingTask>;

/** One embedding model's checked settings and the provider's transport. */
export interface EmbeddingCallSettings {
  modelName: string;
  provider: string;
  transport: Transport;
  maxBatchSize: number;
  concurrency: number;
  encodingFormat: 'base64' | 'float';
}

/** Embed `input`: one request per `maxBatchSize` items, `concurrency` at a time, vectors in input order. */
export async function embed(
  input: Input,
  call: CallContext,
  settings: EmbeddingCallSettings,
): Promise<OutputOf<EmbeddingTask>> {
  const { provider, transport, maxBatchSize, concurrency } = settings;
  const wire = { modelName: settings.modelName, encodingFormat: settings.encodingFormat, provider };
  const options = callOptions(call);

  async function embedBatch(batch: Input, signal: AbortSignal) {
    const count = 'texts' in batch ? batch.texts.length : batch.tokens.length;
    const response = await transport.json({
      path: 'embeddings',
      body: encodeEmbeddingsRequest(batch, wire),
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

  const batches: Input[] = [];
  const { dimensions } = input;
  if ('texts' in input) {
    for (let start = 0; start < input.texts.length; start += maxBatchSize)
      batches.push({ texts: input.texts.slice(start, start + maxBatchSize), dimensions });
  } else {
    for (let start = 0; start < input.tokens.length; start += maxBatchSize)
      batches.push({ tokens: input.tokens.slice(start, start + maxBatchSize), dimensions });
  }
  const results = await mapBounded(batches, concurrency, call.signal, embedBatch);
  if (results.length === 1) return results[0]!;
  const vectors = results.flatMap((result) => result.embeddings);
  const usage: Usage = {};
  for (const { usage: batch } of results) {
    if (batch.inputTokens !== undefined) usage.inputTokens = (usage.inputTokens ?? 0) + batch.inputTokens;
    if (batch.totalTokens !== undefined) usage.totalTokens = (usage.totalTokens ?? 0) + batch.totalTokens;
  }
  return { embeddings: vectors, dimensions: dimensionsOf(vectors, provider), usage };
}

/** The embedding Model itself, made at the first call of `provider.embedding(...)` (embeddings.ts). */
export function embeddingModel(
  id: string,
  onEvent: ((event: ModelEvent) => void) | undefined,
  capabilities: Capabilities,
  settings: EmbeddingCallSettings,
): Model<EmbeddingTask> {
  return defineModel({
    id,
    onEvent,
    task: embedding,
    capabilities,
    run: (input, call) => embed(input, call, settings),
  });
}
