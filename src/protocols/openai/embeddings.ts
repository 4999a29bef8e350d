/**
 * Embeddings over OpenAI's `embeddings`, both directions: the client's request and response
 * reading (number arrays or base64 float32), the server's request reading and response writing.
 */
import { ResponseValidationError } from '../../errors.ts';
import type { Capabilities } from '../../model.ts';
import type { EmbeddingInput, EmbeddingOutput, EmbeddingTask } from '../../tasks/embedding.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import type { Usage } from '../../tasks/usage.ts';
import type { TaskMapping } from '../types.ts';
import { unsupported } from './errors.ts';
import type { EmbeddingResponse, EmbeddingsRequest } from './schemas.ts';

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

/** OpenAI's `base64` encoding: the vector's float32 values, little-endian, base64-encoded. */
export function encodeBase64Embedding(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  let binary = '';
  // Chunks keep String.fromCharCode under the engines' argument limits.
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** What embeddings need besides the payload. */
export interface EmbeddingsContext {
  /** The model's name on the wire (`model`). */
  modelName: string;
  /** Client: 'base64' asks for base64 float32 (a quarter of the JSON); server: how to answer. Default 'float'. */
  encodingFormat?: 'base64' | 'float' | null | undefined;
  /** Server: what the served model takes; token ids are refused without `tokenInput`. */
  capabilities?: Pick<Capabilities, 'tokenInput'> | undefined;
  /** Client: the provider's name, for errors. */
  provider?: string | undefined;
}

/** Client: the request body for one batch of texts (or token ids). */
function encodeRequest(input: ParsedInputOf<EmbeddingTask>, context: EmbeddingsContext): EmbeddingsRequest {
  // OpenAI's API takes token-id arrays as `input` as it takes texts.
  const body: EmbeddingsRequest = {
    model: context.modelName,
    input: 'texts' in input ? input.texts : input.tokens,
  };
  if (context.encodingFormat) body.encoding_format = context.encodingFormat;
  if (input.dimensions !== undefined) body.dimensions = input.dimensions;
  return body;
}

/**
 * Server: OpenAI's embeddings input as the task's: texts, or token ids (one array or one per input)
 * fed to the model as they are; a model without `capabilities.tokenInput` refuses token ids.
 */
function decodeRequest(body: EmbeddingsRequest, context: EmbeddingsContext): EmbeddingInput {
  const dimensions = body.dimensions != null ? { dimensions: body.dimensions } : {};
  const { input } = body;
  if (typeof input === 'string') return { texts: [input], ...dimensions };
  if (input.every((item): item is string => typeof item === 'string')) return { texts: input, ...dimensions };
  if (!context.capabilities?.tokenInput) {
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

/** Server: the task's output as OpenAI's `list` of `embedding` objects. */
function encodeResponse(output: EmbeddingOutput, context: EmbeddingsContext) {
  const base64 = context.encodingFormat === 'base64';
  const promptTokens = output.usage.inputTokens ?? 0;
  return {
    object: 'list',
    data: output.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? encodeBase64Embedding(vector) : Array.from(vector),
    })),
    model: context.modelName,
    usage: { prompt_tokens: promptTokens, total_tokens: output.usage.totalTokens ?? promptTokens },
  };
}

/**
 * Client: a response (schema-checked) as the task's output, vectors in input order (servers may
 * answer out of order; `index` says which input each vector belongs to).
 */
function decodeResponse(body: EmbeddingResponse, context: EmbeddingsContext): EmbeddingOutput {
  const provider = context.provider ?? 'the server';
  const count = body.data.length;
  const embeddings = new Array<Float32Array<ArrayBuffer>>(count);
  for (const item of body.data) {
    if (item.index >= count || embeddings[item.index]) {
      throw new ResponseValidationError(
        `${provider} returned embedding index ${item.index} twice or out of range for ${count} texts`,
        { provider },
      );
    }
    embeddings[item.index] =
      typeof item.embedding === 'string'
        ? decodeBase64Embedding(item.embedding, provider)
        : Float32Array.from(item.embedding);
  }
  const usage: Usage = {};
  if (body.usage?.prompt_tokens != null) usage.inputTokens = body.usage.prompt_tokens;
  if (body.usage?.total_tokens != null) usage.totalTokens = body.usage.total_tokens;
  return { embeddings, dimensions: dimensionsOf(embeddings, provider), usage };
}

/** The vectors' common length; vectors of different or zero lengths are a ResponseValidationError. */
export function dimensionsOf(embeddings: readonly Float32Array[], provider: string): number {
  const dimensions = embeddings[0]?.length ?? 0;
  if (dimensions === 0 || embeddings.some((vector) => vector.length !== dimensions)) {
    throw new ResponseValidationError(
      `${provider} returned embeddings of different or zero lengths (${[...new Set(embeddings.map((v) => v.length))].join(', ')})`,
      { provider },
    );
  }
  return dimensions;
}

/** Embeddings, both directions. */
export const embeddings: TaskMapping<EmbeddingTask, EmbeddingsRequest, EmbeddingResponse, EmbeddingsContext> =
  {
    encodeRequest,
    decodeRequest,
    encodeResponse,
    decodeResponse,
  };

// The client's halves on their own too: a client that imports only these leaves the server's out of its bundle.
export { decodeResponse as decodeEmbeddingsResponse, encodeRequest as encodeEmbeddingsRequest };
