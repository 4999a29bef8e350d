// An mlkit embedding Model as the AI SDK's EmbeddingModelV4 (embed, embedMany).
import type { EmbeddingModelV4, EmbeddingModelV4CallOptions, EmbeddingModelV4Result } from '@ai-sdk/provider';
import type { EmbeddingTask, Model, RunOptions } from '@mlkit/core';

/** Options of `mlkitEmbeddingModel`. */
export interface MlkitEmbeddingModelOptions {
  /** The AI SDK's `provider` name (default 'mlkit'). */
  provider?: string;
  /** The AI SDK's `modelId` (default the mlkit model's `id`). */
  modelId?: string;
  /** Most texts per call (default the model's `capabilities.maxBatch`, else no limit: mlkit models split batches themselves). */
  maxEmbeddingsPerCall?: number;
}

/**
 * An mlkit embedding Model (hosted or a local ONNX encoder) as an AI SDK `EmbeddingModelV4`, for
 * `embed` and `embedMany`. `dimensions` is passed on; the vectors come back as number arrays.
 *
 * @example
 * const { embeddings } = await embedMany({ model: mlkitEmbeddingModel(encoder), values: ['a', 'b'] });
 */
export function mlkitEmbeddingModel(
  model: Model<EmbeddingTask>,
  options: MlkitEmbeddingModelOptions = {},
): EmbeddingModelV4 {
  return {
    specificationVersion: 'v4',
    provider: options.provider ?? 'mlkit',
    modelId: options.modelId ?? model.id,
    maxEmbeddingsPerCall:
      options.maxEmbeddingsPerCall ?? model.capabilities.maxBatch ?? Number.POSITIVE_INFINITY,
    supportsParallelCalls: true,

    async doEmbed(call: EmbeddingModelV4CallOptions): Promise<EmbeddingModelV4Result> {
      if (call.values.length === 0) return { embeddings: [], warnings: [] };
      const runOptions: RunOptions = {};
      if (call.abortSignal) runOptions.signal = call.abortSignal;
      if (call.headers) runOptions.headers = call.headers;
      const output = await model.run(
        { texts: call.values, ...(call.dimensions === undefined ? {} : { dimensions: call.dimensions }) },
        runOptions,
      );
      const tokens = output.usage.inputTokens;
      return {
        embeddings: output.embeddings.map((vector) => Array.from(vector)),
        ...(tokens === undefined ? {} : { usage: { tokens } }),
        warnings: [],
      };
    },
  };
}
