// AI SDK models as mlkit Models, built with defineModel so that their input is validated, their tool
// calls and JSON answers checked, and their failures typed like every other provider's.
import type {
  EmbeddingModelV4,
  JSONObject,
  LanguageModelV4,
  LanguageModelV4FinishReason,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4Warning,
} from '@ai-sdk/provider';
import {
  type Capabilities,
  defineModel,
  type EmbeddingTask,
  embedding,
  type FinishReason,
  type Model,
  ResponseValidationError,
  type TextGenerationChunk,
  type TextGenerationOutput,
  type TextGenerationTask,
  textGeneration,
  UnsupportedError,
  type Usage,
} from '@mlkit/core';
import { aiSdkCallOf } from './call-options.ts';
import { mlkitErrorOf } from './errors.ts';

/** Options of `aiSdkLanguageModel` and `aiSdkEmbeddingModel`. */
export interface ToMlkitOptions {
  /** The mlkit model id (default `<provider>:<modelId>` of the AI SDK model). */
  id?: string;
  /** What the model can do, over the defaults (streaming, tools, jsonSchema and images for text generation). */
  capabilities?: Partial<Capabilities>;
  /** Sent as the AI SDK's `providerOptions` on every call, e.g. `{ openai: { parallelToolCalls: false } }`. */
  providerOptions?: Record<string, JSONObject>;
  /** Receives the AI SDK model's warnings (settings it did not honour); default `console.warn`. */
  onWarnings?: (warnings: SharedV4Warning[], modelId: string) => void;
}

export function defaultOnWarnings(warnings: SharedV4Warning[], modelId: string): void {
  for (const warning of warnings) {
    const text =
      warning.type === 'unsupported' || warning.type === 'compatibility'
        ? `${warning.type}: ${warning.feature}${warning.details ? ` (${warning.details})` : ''}`
        : warning.type === 'deprecated'
          ? `deprecated: ${warning.setting}: ${warning.message}`
          : warning.message;
    console.warn(`${modelId}: ${text}`);
  }
}

/** The AI SDK's unified finish reason in mlkit's terms ('interrupted' is 'other', its raw reason kept). */
function finishOf(reason: LanguageModelV4FinishReason): {
  finishReason: FinishReason;
  rawFinishReason?: string;
} {
  const finishReason: FinishReason = reason.unified === 'interrupted' ? 'other' : reason.unified;
  const raw = reason.raw ?? (reason.unified === 'interrupted' ? 'interrupted' : undefined);
  return raw === undefined ? { finishReason } : { finishReason, rawFinishReason: raw };
}

function mlkitUsageOf(usage: LanguageModelV4Usage): Usage {
  const inputTokens = usage.inputTokens.total;
  const outputTokens = usage.outputTokens.total;
  return {
    ...(inputTokens === undefined ? {} : { inputTokens }),
    ...(outputTokens === undefined ? {} : { outputTokens }),
    ...(inputTokens !== undefined && outputTokens !== undefined
      ? { totalTokens: inputTokens + outputTokens }
      : {}),
  };
}

const idOf = (model: { provider: string; modelId: string }) => `${model.provider}:${model.modelId}`;

/**
 * Any AI SDK `LanguageModelV4` (`@ai-sdk/openai`, `@ai-sdk/anthropic`, `@ai-sdk/openai-compatible`, ...)
 * as an mlkit text-generation Model, so it joins `fallback`, `route`, `cache` and `meter`. Its tool
 * calls and JSON answers are validated like every mlkit model's; its HTTP errors become mlkit's typed
 * errors (a 429 is a RateLimitError). The AI SDK model does not retry; compose with `fallback`.
 *
 * @example
 * const model = fallback([aiSdkLanguageModel(openai('gpt-4o-mini')), await loadModel('./smollm')]);
 */
export function aiSdkLanguageModel(
  languageModel: LanguageModelV4,
  options: ToMlkitOptions = {},
): Model<TextGenerationTask> {
  const id = options.id ?? idOf(languageModel);
  const provider = languageModel.provider;
  const onWarnings = options.onWarnings ?? defaultOnWarnings;
  const report = (warnings: SharedV4Warning[]) => {
    if (warnings.length > 0) onWarnings(warnings, id);
  };
  return defineModel({
    id,
    task: textGeneration,
    capabilities: {
      streaming: true,
      batching: false,
      local: false,
      tools: true,
      jsonSchema: true,
      images: true,
      ...options.capabilities,
    },

    async run(input, context): Promise<TextGenerationOutput> {
      const call = aiSdkCallOf(
        input,
        { signal: context.signal, headers: context.options.headers },
        id,
        options.providerOptions,
      );
      let result: Awaited<ReturnType<LanguageModelV4['doGenerate']>>;
      try {
        result = await languageModel.doGenerate(call);
      } catch (error) {
        throw mlkitErrorOf(error, provider);
      }
      report(result.warnings);
      let text = '';
      const toolCalls: { id: string; name: string; arguments: unknown }[] = [];
      for (const part of result.content) {
        if (part.type === 'text') text += part.text;
        else if (part.type === 'tool-call' && !part.providerExecuted) {
          toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
        }
      }
      if (input.responseFormat?.type === 'json' && result.structuredOutputText !== undefined) {
        text = result.structuredOutputText;
      }
      return {
        text,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        ...finishOf(result.finishReason),
        usage: mlkitUsageOf(result.usage),
      };
    },

    async *stream(input, context): AsyncGenerator<TextGenerationChunk> {
      const call = aiSdkCallOf(
        input,
        { signal: context.signal, headers: context.options.headers },
        id,
        options.providerOptions,
      );
      let reader: ReadableStreamDefaultReader<LanguageModelV4StreamPart>;
      try {
        reader = (await languageModel.doStream(call)).stream.getReader();
      } catch (error) {
        throw mlkitErrorOf(error, provider);
      }
      // Tool calls by the AI SDK's id: their index in this answer and their name.
      const tools = new Map<string, { index: number; name: string }>();
      const toolOf = (toolId: string, name: string) => {
        let tool = tools.get(toolId);
        if (!tool) {
          tool = { index: tools.size, name };
          tools.set(toolId, tool);
        }
        return tool;
      };
      try {
        while (true) {
          let next: ReadableStreamReadResult<LanguageModelV4StreamPart>;
          try {
            next = await reader.read();
          } catch (error) {
            throw mlkitErrorOf(error, provider);
          }
          if (next.done) {
            throw new ResponseValidationError(
              `${id}: the stream ended without a finish part (the answer may be cut off)`,
            );
          }
          const part = next.value;
          switch (part.type) {
            case 'stream-start':
              report(part.warnings);
              break;
            case 'text-delta':
              if (part.delta) yield { type: 'text-delta', text: part.delta };
              break;
            case 'tool-input-start':
              if (!part.providerExecuted) toolOf(part.id, part.toolName);
              break;
            case 'tool-input-delta': {
              const tool = tools.get(part.id);
              if (tool && part.delta) {
                yield {
                  type: 'tool-call-delta',
                  index: tool.index,
                  id: part.id,
                  name: tool.name,
                  argumentsDelta: part.delta,
                };
              }
              break;
            }
            case 'tool-call': {
              if (part.providerExecuted) break;
              const tool = toolOf(part.toolCallId, part.toolName);
              yield {
                type: 'tool-call',
                index: tool.index,
                id: part.toolCallId,
                name: part.toolName,
                arguments: part.input,
              };
              break;
            }
            case 'error':
              throw mlkitErrorOf(part.error, provider);
            case 'finish':
              yield { type: 'finish', ...finishOf(part.finishReason), usage: mlkitUsageOf(part.usage) };
              return;
            default:
              // Reasoning, sources, files and metadata have no place in mlkit's text-generation chunks.
              break;
          }
        }
      } finally {
        // Ends the AI SDK model's work (its HTTP request) when the caller stopped early or it failed.
        await reader.cancel().catch(() => {});
      }
    },
  });
}

/**
 * Any AI SDK `EmbeddingModelV4` as an mlkit embedding Model (Float32Array vectors), so it joins
 * `fallback`, `route`, `cache` and `meter`. Batches follow the model's `maxEmbeddingsPerCall`.
 *
 * @example
 * const model = aiSdkEmbeddingModel(openai.embedding('text-embedding-3-small'));
 */
export function aiSdkEmbeddingModel(
  embeddingModel: EmbeddingModelV4,
  options: ToMlkitOptions = {},
): Model<EmbeddingTask> {
  const id = options.id ?? idOf(embeddingModel);
  const provider = embeddingModel.provider;
  const onWarnings = options.onWarnings ?? defaultOnWarnings;
  return defineModel({
    id,
    task: embedding,
    capabilities: { streaming: false, batching: true, local: false, ...options.capabilities },

    async run(input, context) {
      if (!('texts' in input)) {
        throw new UnsupportedError(`${id} embeds texts, not token ids; pass { texts }`, { param: 'tokens' });
      }
      const limit = (await embeddingModel.maxEmbeddingsPerCall) ?? Number.POSITIVE_INFINITY;
      const size = Number.isFinite(limit) && limit > 0 ? limit : input.texts.length;
      const groups: string[][] = [];
      for (let at = 0; at < input.texts.length; at += size) groups.push(input.texts.slice(at, at + size));
      const embeddings: Float32Array[] = [];
      let tokens: number | undefined;
      for (const values of groups) {
        let result: Awaited<ReturnType<EmbeddingModelV4['doEmbed']>>;
        try {
          result = await embeddingModel.doEmbed({
            values,
            abortSignal: context.signal,
            ...(input.dimensions === undefined ? {} : { dimensions: input.dimensions }),
            ...(context.options.headers ? { headers: context.options.headers } : {}),
            ...(options.providerOptions ? { providerOptions: options.providerOptions } : {}),
          });
        } catch (error) {
          throw mlkitErrorOf(error, provider);
        }
        if (result.warnings.length > 0) onWarnings(result.warnings, id);
        if (result.embeddings.length !== values.length) {
          throw new ResponseValidationError(
            `${id} returned ${result.embeddings.length} embeddings for ${values.length} texts`,
          );
        }
        for (const vector of result.embeddings) embeddings.push(Float32Array.from(vector));
        if (result.usage) tokens = (tokens ?? 0) + result.usage.tokens;
      }
      return {
        embeddings,
        dimensions: embeddings[0]!.length,
        usage: tokens === undefined ? {} : { inputTokens: tokens, totalTokens: tokens },
      };
    },
  });
}
