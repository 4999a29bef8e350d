/** Text generation over POST chat/completions, streamed as server-sent events when asked. */
import { defineModel } from '../../define-model.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import {
  chatCompletionStream,
  decodeChatResponse,
  encodeChatRequest,
  type ChatContext as WireContext,
} from '../../protocols/openai/chat.ts';
import { ChatCompletion } from '../../protocols/openai/schemas.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import {
  type TextGenerationInput,
  type TextGenerationTask,
  textGeneration,
} from '../../tasks/text-generation.ts';
import { parseInput } from '../../validate.ts';
import { callOptions } from './request.ts';

/** Sampling options applied under every call's own input (the call wins), e.g. `{ temperature: 0 }`. */
export type TextGenerationDefaults = Omit<Extract<TextGenerationInput, { prompt: string }>, 'prompt'>;

/** Options of `provider.textGeneration(model, settings)`. */
export interface TextGenerationSettings {
  /** Sampling defaults for every call; a call's own values win. */
  defaults?: TextGenerationDefaults;
}

/** What chat.ts needs from the provider. */
export interface ChatContext extends Pick<WireContext, 'sendTopK' | 'maxTokensField'> {
  /** Provider name, e.g. 'vllm'. */
  provider: string;
  transport: Transport;
  /** The provider's listener for every call's events. */
  onEvent?: ((event: ModelEvent) => void) | undefined;
}

type Input = ParsedInputOf<TextGenerationTask>;

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
  const wire: WireContext = {
    modelName,
    sendTopK: context.sendTopK,
    maxTokensField: context.maxTokensField,
  };
  const body = (input: Input) =>
    encodeChatRequest(defaults ? ({ ...defaults, ...input } as Input) : input, wire);

  return defineModel({
    id,
    onEvent: context.onEvent,
    task: textGeneration,
    // A hosted server decides what it honours; it answers 400 for what it cannot.
    capabilities: {
      streaming: true,
      batching: false,
      local: false,
      logitAdjustments: true,
      tools: true,
      jsonSchema: true,
      images: true,
    },

    async run(input, call) {
      const response = await transport.json({
        path: 'chat/completions',
        body: body(input),
        schema: ChatCompletion,
        ...callOptions(call),
      });
      return decodeChatResponse(response);
    },

    async *stream(input, call) {
      const events = transport.stream({
        path: 'chat/completions',
        body: { ...body(input), stream: true, stream_options: { include_usage: true } },
        ...callOptions(call),
      });
      yield* chatCompletionStream(events, provider);
    },
  });
}
