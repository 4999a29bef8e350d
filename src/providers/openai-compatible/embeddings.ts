/** Embeddings over POST embeddings: long text lists split into batches, sent a few at a time, order kept. */
import { deferModel } from '../../defer-model.ts';
import { InvalidInputError } from '../../errors.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import type { EmbeddingTask } from '../../tasks/embedding.ts';

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

  const callSettings = { modelName, provider, transport, maxBatchSize, concurrency, encodingFormat };
  const capabilities = {
    streaming: false,
    batching: true,
    maxBatch: maxBatchSize,
    local: false,
    tokenInput: true,
  };
  // The requests and the answers' mappings load with the first call, not with every app that makes a
  // provider (embeddings-calls.ts, through lazy.ts).
  return deferModel({ id, task: 'embedding', capabilities, streams: false }, async () =>
    (await import('../../lazy.ts')).embeddingModel(id, context.onEvent, capabilities, callSettings),
  );
}
