import type { Capabilities, EmbeddingInput, EmbeddingOutput } from '@mlkit/core';
import { unsupported } from './chat.ts';
import type { EmbeddingsRequest } from './schemas.ts';

/** OpenAI's `base64` encoding: the vector's float32 values, little-endian, base64-encoded. */
function float32ToBase64(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  let binary = '';
  // Chunks keep String.fromCharCode under the engines' argument limits.
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * OpenAI's embeddings input as the task's: texts, or token ids (one array or one per input) fed to
 * the model as they are; a model without `capabilities.tokenInput` refuses token ids with a 400.
 */
export function toEmbeddingInput(body: EmbeddingsRequest, capabilities: Capabilities): EmbeddingInput {
  const dimensions = body.dimensions != null ? { dimensions: body.dimensions } : {};
  const { input } = body;
  if (typeof input === 'string') return { texts: [input], ...dimensions };
  if (input.every((item): item is string => typeof item === 'string')) return { texts: input, ...dimensions };
  if (!capabilities.tokenInput) {
    throw unsupported(
      'input as token ids is not supported by this model (it takes texts only); send the input as text',
      'input',
    );
  }
  const tokens = input.every((item): item is number => typeof item === 'number')
    ? [input]
    : (input as number[][]);
  return { tokens, ...dimensions };
}

export function toEmbeddingsResponse(output: EmbeddingOutput, body: EmbeddingsRequest) {
  const base64 = body.encoding_format === 'base64';
  const promptTokens = output.usage.inputTokens ?? 0;
  return {
    object: 'list',
    data: output.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? float32ToBase64(vector) : Array.from(vector),
    })),
    model: body.model,
    usage: { prompt_tokens: promptTokens, total_tokens: output.usage.totalTokens ?? promptTokens },
  };
}
