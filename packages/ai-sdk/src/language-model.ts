// An mlkit text-generation Model as the AI SDK's LanguageModelV4: doGenerate and doStream, with the
// stream parts and finish reasons of @ai-sdk/provider's V4 specification.
import type {
  JSONObject,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import type { FinishReason, Model, TextGenerationChunk, TextGenerationTask, Usage } from '@mlkit/core';
import { mlkitCallOf } from './call-options.ts';

/** Options of `mlkitLanguageModel`. */
export interface MlkitLanguageModelOptions {
  /** The AI SDK's `provider` name (default 'mlkit'). */
  provider?: string;
  /** The AI SDK's `modelId` (default the mlkit model's `id`). */
  modelId?: string;
}

/** mlkit usage in the AI SDK's shape; the raw mlkit usage (cost, device, timings) goes along as `raw`. */
export function usageOf(usage: Usage): LanguageModelV4Usage {
  return {
    inputTokens: {
      total: usage.inputTokens,
      noCache: usage.inputTokens,
      cacheRead: undefined,
      cacheWrite: undefined,
    },
    outputTokens: { total: usage.outputTokens, text: usage.outputTokens, reasoning: undefined },
    raw: usage as JSONObject,
  };
}

function finishReasonOf(finishReason: FinishReason, raw: string | undefined): LanguageModelV4FinishReason {
  return { unified: finishReason, raw };
}

/** The figures of mlkit usage that the AI SDK's usage has no field for, as provider metadata. */
function metadataOf(usage: Usage): SharedV4ProviderMetadata | undefined {
  const { inputTokens: _in, outputTokens: _out, totalTokens: _total, ...rest } = usage;
  return Object.keys(rest).length > 0 ? { mlkit: rest as JSONObject } : undefined;
}

const unknownUsage: LanguageModelV4Usage = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

/** Where a model takes URLs as they are: hosted models with images fetch http(s) images themselves. */
function supportedUrlsOf(model: Model<TextGenerationTask>): Record<string, RegExp[]> {
  return model.capabilities.images && !model.capabilities.local ? { 'image/*': [/^https?:\/\/.*$/] } : {};
}

/**
 * An mlkit text-generation Model (hosted, served or a local ONNX decoder) as an AI SDK
 * `LanguageModelV4`, for `generateText`, `streamText` and `generateObject`. Tools, `toolChoice` and
 * `responseFormat` map to mlkit's; settings mlkit cannot honour come back as warnings.
 *
 * @example
 * const { text } = await generateText({ model: mlkitLanguageModel(await loadModel('./smollm')), prompt: 'Hi' });
 */
export function mlkitLanguageModel(
  model: Model<TextGenerationTask>,
  options: MlkitLanguageModelOptions = {},
): LanguageModelV4 {
  const modelId = options.modelId ?? model.id;
  return {
    specificationVersion: 'v4',
    provider: options.provider ?? 'mlkit',
    modelId,
    supportedUrls: supportedUrlsOf(model),

    async doGenerate(callOptions: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
      const { input, runOptions, warnings } = mlkitCallOf(callOptions);
      const output = await model.run(input, runOptions);
      const content: LanguageModelV4Content[] = [];
      if (output.text) content.push({ type: 'text', text: output.text });
      if (output.refusal)
        content.push({ type: 'text', text: output.refusal, providerMetadata: { mlkit: { refusal: true } } });
      for (const call of output.toolCalls ?? []) {
        content.push({
          type: 'tool-call',
          toolCallId: call.id,
          toolName: call.name,
          input: JSON.stringify(call.arguments),
        });
      }
      const providerMetadata = metadataOf(output.usage);
      return {
        content,
        finishReason: finishReasonOf(output.finishReason, output.rawFinishReason),
        usage: usageOf(output.usage),
        ...(providerMetadata ? { providerMetadata } : {}),
        // The mlkit input stands where an HTTP provider reports its request body (telemetry, debugging).
        request: { body: input },
        response: { modelId },
        warnings,
      };
    },

    async doStream(callOptions: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
      const { input, runOptions, warnings } = mlkitCallOf(callOptions);
      const iterator = model.stream(input, runOptions)[Symbol.asyncIterator]();
      // The first chunk is awaited here, so that a call that fails before any output (a bad key, an
      // unreachable server, a refused setting) rejects doStream, as an HTTP provider's does.
      const first = await iterator.next();
      const parts = new StreamParts(callOptions.includeRawChunks === true);
      const signal = callOptions.abortSignal;
      let pending: IteratorResult<TextGenerationChunk> | undefined = first;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings });
          controller.enqueue({ type: 'response-metadata', modelId });
        },
        async pull(controller) {
          try {
            const next = pending ?? (await iterator.next());
            pending = undefined;
            if (next.done) {
              for (const part of parts.end()) controller.enqueue(part);
              controller.close();
              return;
            }
            for (const part of parts.of(next.value)) controller.enqueue(part);
          } catch (error) {
            // The caller's abort fails the stream, as fetch's does; any other failure after output
            // began is an `error` part, then a finish with reason 'error'.
            if (signal?.aborted) {
              controller.error(error);
              return;
            }
            controller.enqueue({ type: 'error', error });
            for (const part of parts.end('error')) controller.enqueue(part);
            controller.close();
          }
        },
        async cancel() {
          await iterator.return?.();
        },
      });
      return { stream, request: { body: input } };
    },
  };
}

/** Turns mlkit chunks into V4 stream parts: text blocks with ids, tool inputs, calls and one finish. */
class StreamParts {
  readonly #includeRaw: boolean;
  #textId: string | undefined;
  #textBlocks = 0;
  /** Tool calls by index: their id and whether their input ended. */
  readonly #tools = new Map<number, { id: string; ended: boolean }>();
  #finished = false;

  constructor(includeRaw: boolean) {
    this.#includeRaw = includeRaw;
  }

  of(chunk: TextGenerationChunk): LanguageModelV4StreamPart[] {
    const parts: LanguageModelV4StreamPart[] = this.#includeRaw ? [{ type: 'raw', rawValue: chunk }] : [];
    switch (chunk.type) {
      case 'text-delta':
        if (chunk.text === '') return parts;
        if (this.#textId === undefined) {
          this.#textId = `text-${this.#textBlocks++}`;
          parts.push({ type: 'text-start', id: this.#textId });
        }
        parts.push({ type: 'text-delta', id: this.#textId, delta: chunk.text });
        return parts;
      case 'tool-call-delta': {
        parts.push(...this.#endText());
        if (!this.#tools.has(chunk.index)) {
          this.#tools.set(chunk.index, { id: chunk.id, ended: false });
          parts.push({ type: 'tool-input-start', id: chunk.id, toolName: chunk.name });
        }
        if (chunk.argumentsDelta)
          parts.push({ type: 'tool-input-delta', id: chunk.id, delta: chunk.argumentsDelta });
        return parts;
      }
      case 'tool-call': {
        parts.push(...this.#endText());
        const input = JSON.stringify(chunk.arguments);
        let tool = this.#tools.get(chunk.index);
        if (!tool) {
          // A call that came whole: its input in one delta, so consumers of tool-input-* see it too.
          tool = { id: chunk.id, ended: false };
          this.#tools.set(chunk.index, tool);
          parts.push({ type: 'tool-input-start', id: chunk.id, toolName: chunk.name });
          parts.push({ type: 'tool-input-delta', id: chunk.id, delta: input });
        }
        if (!tool.ended) {
          tool.ended = true;
          parts.push({ type: 'tool-input-end', id: tool.id });
        }
        parts.push({ type: 'tool-call', toolCallId: chunk.id, toolName: chunk.name, input });
        return parts;
      }
      case 'finish': {
        if (chunk.refusal) {
          parts.push(...this.#endText());
          const id = `text-${this.#textBlocks++}`;
          const providerMetadata = { mlkit: { refusal: true } };
          parts.push({ type: 'text-start', id, providerMetadata });
          parts.push({ type: 'text-delta', id, delta: chunk.refusal });
          parts.push({ type: 'text-end', id });
        }
        parts.push(...this.#endOpen());
        this.#finished = true;
        const providerMetadata = metadataOf(chunk.usage);
        parts.push({
          type: 'finish',
          usage: usageOf(chunk.usage),
          finishReason: finishReasonOf(chunk.finishReason, chunk.rawFinishReason),
          ...(providerMetadata ? { providerMetadata } : {}),
        });
        return parts;
      }
    }
  }

  /** The parts that close the stream: open blocks ended, and a finish if the model sent none. */
  end(reason?: 'error'): LanguageModelV4StreamPart[] {
    if (this.#finished) return [];
    this.#finished = true;
    return [
      ...this.#endOpen(),
      {
        type: 'finish',
        usage: unknownUsage,
        finishReason: { unified: reason ?? 'interrupted', raw: undefined },
      },
    ];
  }

  #endText(): LanguageModelV4StreamPart[] {
    if (this.#textId === undefined) return [];
    const id = this.#textId;
    this.#textId = undefined;
    return [{ type: 'text-end', id }];
  }

  #endOpen(): LanguageModelV4StreamPart[] {
    const parts = this.#endText();
    for (const tool of this.#tools.values()) {
      if (!tool.ended) {
        tool.ended = true;
        parts.push({ type: 'tool-input-end', id: tool.id });
      }
    }
    return parts;
  }
}
