/** Text generation over POST chat/completions, streamed as server-sent events when asked. */
import { defineModel } from '../../define-model.ts';
import { NetworkError, ResponseValidationError } from '../../errors.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import {
  type FinishReason,
  type TextGenerationInput,
  type TextGenerationTask,
  textGeneration,
} from '../../tasks/text-generation.ts';
import type { Usage } from '../../tasks/usage.ts';
import { parseInput } from '../../validate.ts';
import { parseStreamError, streamError } from './errors.ts';
import { callOptions, logitAdjustmentFields, toFinishReason, toUsage } from './request.ts';
import { ChatCompletion, ChatCompletionChunk } from './schemas.ts';

/** Sampling options applied under every call's own input (the call wins), e.g. `{ temperature: 0 }`. */
export type TextGenerationDefaults = Omit<Extract<TextGenerationInput, { prompt: string }>, 'prompt'>;

/** Options of `provider.textGeneration(model, settings)`. */
export interface TextGenerationSettings {
  /** Sampling defaults for every call; a call's own values win. */
  defaults?: TextGenerationDefaults;
}

/** What chat.ts needs from the provider. */
export interface ChatContext {
  /** Provider name, e.g. 'vllm'. */
  provider: string;
  transport: Transport;
  /** The provider's listener for every call's events. */
  onEvent?: ((event: ModelEvent) => void) | undefined;
  /** Send `top_k`: vLLM, llama.cpp, Ollama and TGI accept it; OpenAI rejects unknown parameters. */
  sendTopK: boolean;
  /** Field for the token limit: OpenAI wants `max_completion_tokens`, other servers know `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

type Input = ParsedInputOf<TextGenerationTask>;

/** The chat/completions request body for an mlkit text-generation input. */
export function chatRequestBody(model: string, input: Input, context: ChatContext): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model,
    messages: 'messages' in input ? input.messages : [{ role: 'user', content: input.prompt }],
  };
  if (input.maxTokens !== undefined) body[context.maxTokensField] = input.maxTokens;
  if (input.temperature !== undefined) body.temperature = input.temperature;
  if (input.topP !== undefined) body.top_p = input.topP;
  if (input.topK !== undefined && context.sendTopK) body.top_k = input.topK;
  if (input.stop !== undefined) body.stop = input.stop;
  if (input.seed !== undefined) body.seed = input.seed;
  Object.assign(body, logitAdjustmentFields(input));
  return body;
}

function parseJson(provider: string, data: string): unknown {
  try {
    return JSON.parse(data);
  } catch (cause) {
    throw new ResponseValidationError(
      `${provider} sent a stream event that is not JSON: ${data.length > 80 ? `${data.slice(0, 80)}…` : data}`,
      { provider, cause },
    );
  }
}

function isErrorBody(data: unknown): boolean {
  return (
    typeof data === 'object' &&
    data !== null &&
    ('error' in data || (data as { object?: unknown }).object === 'error')
  );
}

/** Build the text-generation Model for one served model. */
export function createChatModel(
  id: string,
  modelName: string,
  context: ChatContext,
  settings: TextGenerationSettings = {},
): Model<TextGenerationTask> {
  const { provider, transport } = context;
  // Validated once here, so a bad default fails when the model is created, not on its first call.
  let defaults: TextGenerationDefaults | undefined;
  if (settings.defaults) {
    const parsed = parseInput(textGeneration.input, { prompt: '', ...settings.defaults }, 'defaults');
    const { prompt: _prompt, ...sampling } = parsed as Extract<Input, { prompt: string }>;
    defaults = sampling;
  }
  const body = (input: Input) =>
    chatRequestBody(modelName, defaults ? ({ ...defaults, ...input } as Input) : input, context);

  return defineModel({
    id,
    onEvent: context.onEvent,
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: false, logitAdjustments: true },

    async run(input, call) {
      const response = await transport.json({
        path: 'chat/completions',
        body: body(input),
        schema: ChatCompletion,
        ...callOptions(call),
      });
      const choice = response.choices[0]!;
      return {
        text: choice.message.content ?? '',
        finishReason: toFinishReason(choice.finish_reason),
        usage: toUsage(response.usage),
      };
    },

    async *stream(input, call) {
      const events = transport.stream({
        path: 'chat/completions',
        body: { ...body(input), stream: true, stream_options: { include_usage: true } },
        ...callOptions(call),
      });
      let finishReason: FinishReason | undefined;
      let usage: Usage = {};
      let done = false;
      try {
        for await (const event of events) {
          // After [DONE] the body is read to its end (like openai-node) so the connection can be reused.
          if (done) continue;
          if (event.data === '[DONE]') {
            done = true;
            continue;
          }
          const data = parseJson(provider, event.data);
          if (event.event === 'error' || isErrorBody(data)) {
            throw streamError(
              provider,
              parseStreamError(data) ?? { message: event.data, status: undefined },
              data,
            );
          }
          const parsed = ChatCompletionChunk.safeParse(data);
          if (!parsed.success) {
            throw new ResponseValidationError(
              `${provider} sent a stream chunk that is not a chat.completion.chunk: ${parsed.error.issues
                .map((issue) => `${issue.path.join('.') || 'chunk'}: ${issue.message}`)
                .join('; ')}`,
              { provider, cause: parsed.error },
            );
          }
          const chunk = parsed.data;
          if (chunk.usage) usage = toUsage(chunk.usage);
          // The usage chunk of `include_usage` has `choices: []` (llama.cpp sends one always).
          const choice = chunk.choices[0];
          if (!choice) continue;
          const text = choice.delta?.content;
          if (text) yield { type: 'text-delta', text };
          if (choice.finish_reason) finishReason = toFinishReason(choice.finish_reason);
        }
      } catch (error) {
        // The answer is complete once [DONE] arrived; a failure while draining the rest does not undo it.
        if (!done) throw error;
      }
      if (!done && finishReason === undefined) {
        throw new NetworkError(
          `${provider} ended the stream before [DONE] and before a finish_reason; the answer is incomplete — retry the call`,
          { provider },
        );
      }
      yield { type: 'finish', finishReason: finishReason ?? 'other', usage };
    },
  });
}
