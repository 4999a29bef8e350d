/**
 * Text generation over OpenAI's chat completions, both directions: the client's request building,
 * response and stream-chunk parsing, and the server's request reading, response and stream-chunk
 * writing — text and image parts, tools and tool calls, `response_format`, refusals. Shared by
 * both: usage, finish reasons, stops and logit adjustments in each other's names.
 */
import { InvalidInputError, NetworkError, ResponseValidationError } from '../../errors.ts';
import type { SseEvent } from '../../http/types.ts';
import type { Capabilities } from '../../model.ts';
import { toJsonSchema } from '../../tasks/json-schema.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import type {
  ChatMessage,
  FinishReason,
  ImagePart,
  ResponseFormat,
  TextGenerationChunk,
  TextGenerationInput,
  TextGenerationOutput,
  TextGenerationTask,
  TextPart,
  Tool,
  ToolCall,
  ToolChoice,
} from '../../tasks/text-generation.ts';
import type { Usage } from '../../tasks/usage.ts';
import { toBase64 } from '../tf-serving/base64.ts';
import type { TaskMapping } from '../types.ts';
import { errorBody, parseStreamError, streamError, unsupported, type WireFailure } from './errors.ts';
import {
  type ChatCompletion,
  ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatContentPart,
  type ChatMessage as WireChatMessage,
  type WireToolCallDelta,
  type WireUsage,
} from './schemas.ts';

// --- Shared: usage, finish reasons, stops, logit adjustments ----------------------------------

/** OpenAI's token counts in mlkit's names; counts a server leaves out stay out. */
export function toUsage(usage: WireUsage | null | undefined): Usage {
  const out: Usage = {};
  if (!usage) return out;
  if (usage.prompt_tokens != null) out.inputTokens = usage.prompt_tokens;
  if (usage.completion_tokens != null) out.outputTokens = usage.completion_tokens;
  if (usage.total_tokens != null) out.totalTokens = usage.total_tokens;
  else if (out.inputTokens !== undefined && out.outputTokens !== undefined) {
    out.totalTokens = out.inputTokens + out.outputTokens;
  }
  return out;
}

/** mlkit's usage as OpenAI's token counts; the server always sends all three. */
export function usageOf(usage: Usage) {
  const prompt = usage.inputTokens ?? 0;
  const completion = usage.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.totalTokens ?? prompt + completion,
  };
}

// OpenAI's values first; the rest are what vLLM, TGI and llama.cpp send.
const FINISH_REASONS: Record<string, FinishReason> = {
  stop: 'stop',
  eos: 'stop',
  eos_token: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  max_tokens: 'length',
  content_filter: 'content-filter',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  error: 'error',
};

/** OpenAI's `finish_reason` as mlkit's FinishReason; unknown or missing values are 'other'. */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  return (reason && FINISH_REASONS[reason]) || 'other';
}

/**
 * The task's FinishReason for a choice's `finish_reason`: unknown or missing values are 'other',
 * and a turn that called tools is 'tool-calls' whatever the server said (some OpenAI-compatible
 * servers answer 'stop' or nothing for it).
 */
function finishOf(reason: string | null | undefined, calledTools: boolean): FinishReason {
  const finish = toFinishReason(reason);
  return calledTools && (finish === 'stop' || finish === 'other') ? 'tool-calls' : finish;
}

/** OpenAI's finish_reason for the task's. */
export function finishReasonOf(reason: FinishReason): 'stop' | 'length' | 'content_filter' | 'tool_calls' {
  if (reason === 'length') return 'length';
  if (reason === 'content-filter') return 'content_filter';
  if (reason === 'tool-calls') return 'tool_calls';
  return 'stop';
}

/** `stop` as the task's list: a string is one stop, empty strings are dropped. */
export function stopsOf(stop: string | string[] | null | undefined): string[] | undefined {
  const stops = (typeof stop === 'string' ? [stop] : stop)?.filter((s) => s.length > 0);
  return stops?.length ? stops : undefined;
}

/** `frequency_penalty`, `presence_penalty` and `logit_bias` for the input's fields that are set. */
export function logitAdjustmentFields(input: {
  frequencyPenalty?: number | undefined;
  presencePenalty?: number | undefined;
  logitBias?: Record<number, number> | undefined;
}): Pick<ChatCompletionRequest, 'frequency_penalty' | 'presence_penalty' | 'logit_bias'> {
  const out: Pick<ChatCompletionRequest, 'frequency_penalty' | 'presence_penalty' | 'logit_bias'> = {};
  if (input.frequencyPenalty !== undefined) out.frequency_penalty = input.frequencyPenalty;
  if (input.presencePenalty !== undefined) out.presence_penalty = input.presencePenalty;
  if (input.logitBias !== undefined) out.logit_bias = input.logitBias;
  return out;
}

type LogitAdjustmentFields = Pick<
  ChatCompletionRequest,
  'frequency_penalty' | 'presence_penalty' | 'logit_bias'
>;

/**
 * OpenAI's `frequency_penalty`, `presence_penalty` and `logit_bias` as the task's fields, refused
 * by name when the model does not declare `capabilities.logitAdjustments`.
 */
export function logitAdjustmentsOf(
  body: LogitAdjustmentFields,
  capabilities: Pick<Capabilities, 'logitAdjustments'>,
) {
  const set = (['frequency_penalty', 'presence_penalty', 'logit_bias'] as const).filter(
    (param) => body[param] != null,
  );
  if (set.length > 0 && !capabilities.logitAdjustments) {
    throw unsupported(
      `${set[0]} is not supported by this model (it does not honour ${set.join(', ')}); omit it`,
      set[0]!,
    );
  }
  return {
    ...(body.frequency_penalty != null && { frequencyPenalty: body.frequency_penalty }),
    ...(body.presence_penalty != null && { presencePenalty: body.presence_penalty }),
    ...(body.logit_bias != null && { logitBias: body.logit_bias }),
  };
}

/** The sampling fields chat completions and completions share, as the task's (the token limit aside). */
export function samplingOf(
  body: Pick<ChatCompletionRequest, 'temperature' | 'top_p' | 'top_k' | 'seed' | 'stop'> &
    LogitAdjustmentFields,
  capabilities: Pick<Capabilities, 'logitAdjustments'>,
) {
  const stops = stopsOf(body.stop);
  return {
    ...(body.temperature != null && { temperature: body.temperature }),
    ...(body.top_p != null && { topP: body.top_p }),
    ...(body.top_k != null && { topK: body.top_k }),
    ...(body.seed != null && { seed: body.seed }),
    ...(stops && { stop: stops }),
    ...logitAdjustmentsOf(body, capabilities),
  };
}

// --- The mapping ----------------------------------------------------------------------------

/** What chat completions need besides the payload. */
export interface ChatContext {
  /** The model's name on the wire (`model`). */
  modelName: string;
  /** Server: what the served model honours; a request field it cannot honour is refused by name. */
  capabilities?: Pick<Capabilities, 'logitAdjustments' | 'tools' | 'jsonSchema' | 'images'> | undefined;
  /** Client: send `top_k` (vLLM, llama.cpp, Ollama and TGI accept it; OpenAI rejects unknown parameters). Default true. */
  sendTopK?: boolean | undefined;
  /** Client: the token limit's field: OpenAI wants `max_completion_tokens`, other servers know `max_tokens` (default). */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens' | undefined;
  /** Server: the completion's `id` and `created` (Unix seconds); `newCompletionMeta()` makes them. */
  meta?: CompletionMeta | undefined;
}

/** The `id`, `created` and `model` of one chat completion the server answers. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/** A new chat completion's `id` (`chatcmpl-…`) and `created` (now, Unix seconds) for `model`. */
export function newCompletionMeta(model: string): CompletionMeta {
  return { id: `chatcmpl-${crypto.randomUUID()}`, created: Math.floor(Date.now() / 1000), model };
}

type Input = ParsedInputOf<TextGenerationTask>;
type ParsedMessage = Extract<Input, { messages: unknown }>['messages'][number];
type ParsedTool = NonNullable<Input['tools']>[number];
type ParsedResponseFormat = NonNullable<Input['responseFormat']>;
type WireRequestMessage = ChatCompletionRequest['messages'][number];

// --- Client: input -> request -------------------------------------------------------------------

/** An image part's `image_url.url`: a URL as it is, bytes and base64 text as a `data:` URL. */
function imageUrlOf(part: ImagePart): string {
  const { image } = part;
  if (image instanceof URL) return image.href;
  if (typeof image === 'string' && /^(https?|data):/i.test(image)) return image;
  const base64 =
    typeof image === 'string' ? image : toBase64(image instanceof Uint8Array ? image : new Uint8Array(image));
  // The task's schema requires a mediaType for bytes and base64 text.
  return `data:${part.mediaType ?? 'application/octet-stream'};base64,${base64}`;
}

function wirePartOf(part: TextPart | ImagePart): ChatContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  return { type: 'image_url', image_url: { url: imageUrlOf(part) } };
}

/** A tool call's arguments as the JSON text OpenAI's `function.arguments` carries. */
function argumentsText(value: unknown): string {
  return JSON.stringify(value ?? {});
}

function wireMessageOf(message: ParsedMessage): WireRequestMessage {
  switch (message.role) {
    case 'user':
      return {
        role: 'user',
        content: typeof message.content === 'string' ? message.content : message.content.map(wirePartOf),
      };
    case 'assistant':
      if (!message.toolCalls) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // OpenAI's own form for a turn that only called tools.
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: argumentsText(call.arguments) },
        })),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

function wireToolOf(tool: ParsedTool) {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      parameters: toJsonSchema(tool.parameters),
    },
  };
}

function wireToolChoiceOf(choice: ToolChoice): NonNullable<ChatCompletionRequest['tool_choice']> {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.tool } };
}

/**
 * `response_format` for a json answer: `json_schema` in strict mode when there is a schema,
 * `json_object` otherwise; none for text (the default). The schema is sent as the user wrote it:
 * OpenAI's strict mode wants every property in `required` and `additionalProperties: false` on
 * every object, and answers 400 naming the property otherwise.
 */
function wireResponseFormatOf(format: ParsedResponseFormat): ChatCompletionRequest['response_format'] {
  if (format.type === 'text') return undefined;
  if (!format.schema) return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: {
      name: format.name ?? 'response',
      ...(format.description !== undefined && { description: format.description }),
      schema: toJsonSchema(format.schema),
      strict: true,
    },
  };
}

/** Client: the chat/completions request body for a text-generation input. */
function encodeRequest(input: Input, context: ChatContext): ChatCompletionRequest {
  const body: ChatCompletionRequest = {
    model: context.modelName,
    messages:
      'messages' in input ? input.messages.map(wireMessageOf) : [{ role: 'user', content: input.prompt }],
  };
  if (input.maxTokens !== undefined) body[context.maxTokensField ?? 'max_tokens'] = input.maxTokens;
  if (input.temperature !== undefined) body.temperature = input.temperature;
  if (input.topP !== undefined) body.top_p = input.topP;
  if (input.topK !== undefined && context.sendTopK !== false) body.top_k = input.topK;
  if (input.stop !== undefined) body.stop = input.stop;
  if (input.seed !== undefined) body.seed = input.seed;
  Object.assign(body, logitAdjustmentFields(input));
  if (input.tools?.length) body.tools = input.tools.map(wireToolOf);
  if (input.toolChoice !== undefined) body.tool_choice = wireToolChoiceOf(input.toolChoice);
  if (input.parallelToolCalls !== undefined) body.parallel_tool_calls = input.parallelToolCalls;
  const format = input.responseFormat && wireResponseFormatOf(input.responseFormat);
  if (format) body.response_format = format;
  return body;
}

// --- Server: request -> input -------------------------------------------------------------------

type ServedCapabilities = NonNullable<ChatContext['capabilities']>;

/** A message's content as text: a string, or its text parts joined (other parts refused by name). */
function textOf(message: WireChatMessage, index: number): string {
  const content = message.content;
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, partIndex) => {
      if (part.type !== 'text' || part.text === undefined) {
        throw unsupported(
          `messages[${index}].content[${partIndex}] is a "${part.type}" part; ${message.role} messages take text parts only`,
          `messages[${index}].content[${partIndex}].type`,
        );
      }
      return part.text;
    })
    .join('\n');
}

/** A user message's content: a string, or its text and image parts (images refused by name when the model reads none). */
function userContentOf(
  message: WireChatMessage,
  index: number,
  capabilities: ServedCapabilities,
): string | (TextPart | ImagePart)[] {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!content?.length) return '';
  return content.map((part, partIndex): TextPart | ImagePart => {
    const at = `messages[${index}].content[${partIndex}]`;
    if (part.type === 'text' && part.text !== undefined) return { type: 'text', text: part.text };
    if (part.type === 'image_url' && part.image_url !== undefined) {
      if (!capabilities.images) {
        throw unsupported(`${at} is an image, but this model does not read images; send text only`, at);
      }
      // data: URLs are kept as they are: the task's image part takes them, with their media type.
      return {
        type: 'image',
        image: typeof part.image_url === 'string' ? part.image_url : part.image_url.url,
      };
    }
    throw unsupported(
      `${at} is a "${part.type}" part; this server takes text and image_url parts`,
      `${at}.type`,
    );
  });
}

/** Tool-call arguments from the wire: parsed JSON, or the text as it is when it is not JSON (a replayed malformed call). */
function parsedArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function messageOf(message: WireChatMessage, index: number, capabilities: ServedCapabilities): ChatMessage {
  const at = `messages[${index}]`;
  switch (message.role) {
    case 'function':
      throw unsupported(
        `${at} has role "function" (the legacy form); send the result as {role: "tool", tool_call_id, content}`,
        `${at}.role`,
      );
    case 'tool':
      if (!capabilities.tools) {
        throw unsupported(
          `${at} is a tool result, but this model does not call tools; remove it`,
          `${at}.role`,
        );
      }
      return { role: 'tool', toolCallId: message.tool_call_id ?? '', content: textOf(message, index) };
    case 'assistant': {
      const content = textOf(message, index);
      if (!message.tool_calls?.length) return { role: 'assistant', content };
      if (!capabilities.tools) {
        throw unsupported(
          `${at} has tool_calls, but this model does not call tools; remove them`,
          `${at}.tool_calls`,
        );
      }
      const toolCalls = message.tool_calls.map((call, callIndex): ToolCall => {
        if (call.type !== undefined && call.type !== 'function') {
          throw unsupported(
            `${at}.tool_calls[${callIndex}] is a "${call.type}" call; this server takes function calls only`,
            `${at}.tool_calls[${callIndex}].type`,
          );
        }
        return { id: call.id, name: call.function.name, arguments: parsedArguments(call.function.arguments) };
      });
      return { role: 'assistant', content, toolCalls };
    }
    case 'user':
      return { role: 'user', content: userContentOf(message, index, capabilities) };
    default:
      return { role: 'system', content: textOf(message, index) };
  }
}

function toolsOf(body: ChatCompletionRequest, capabilities: ServedCapabilities): Tool[] | undefined {
  if (!body.tools?.length) return undefined;
  if (!capabilities.tools) {
    throw unsupported(
      'tools are not supported by this model (it does not call tools); remove `tools`',
      'tools',
    );
  }
  return body.tools.map((tool, index): Tool => {
    if (tool.type !== 'function' || !tool.function) {
      throw unsupported(
        `tools[${index}] is a "${tool.type}" tool; this server takes function tools only`,
        `tools[${index}].type`,
      );
    }
    const { name, description, parameters } = tool.function;
    return {
      name,
      ...(description != null && { description }),
      ...(parameters != null && { parameters }),
    };
  });
}

function toolChoiceOf(
  choice: ChatCompletionRequest['tool_choice'],
  tools: Tool[] | undefined,
): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === 'string') return choice;
  if (choice.type !== 'function') {
    throw unsupported(
      `tool_choice {type: "${choice.type}"} is not supported; use "auto", "none", "required" or {type: "function", function: {name}}`,
      'tool_choice',
    );
  }
  if (!choice.function) {
    throw new InvalidInputError('tool_choice {type: "function"} needs function: {name}: the tool to call', {
      issues: [{ path: 'tool_choice.function', message: 'expected {name}' }],
    });
  }
  const { name } = choice.function;
  // Named in the wire's terms here; the task's own check would name `toolChoice.tool`.
  if (!tools?.some((tool) => tool.name === name)) {
    const names = tools?.map((tool) => tool.name).join(', ') || 'none were given';
    throw new InvalidInputError(`tool_choice names no tool of the request: "${name}" (tools: ${names})`, {
      issues: [{ path: 'tool_choice.function.name', message: `no tool is named "${name}"` }],
    });
  }
  return { tool: name };
}

function responseFormatOf(
  format: ChatCompletionRequest['response_format'],
  capabilities: ServedCapabilities,
): ResponseFormat | undefined {
  if (format == null || format.type === 'text') return undefined;
  if (format.type !== 'json_object' && format.type !== 'json_schema') {
    throw unsupported(
      `response_format "${format.type}" is not supported; use text, json_object or json_schema`,
      'response_format.type',
    );
  }
  if (!capabilities.jsonSchema) {
    throw unsupported(
      `response_format "${format.type}" is not supported by this model (it cannot enforce JSON answers); omit it`,
      'response_format',
    );
  }
  const spec = format.type === 'json_schema' ? format.json_schema : undefined;
  return {
    type: 'json',
    ...(spec?.schema != null && { schema: spec.schema }),
    ...(spec?.name !== undefined && { name: spec.name }),
    ...(spec?.description != null && { description: spec.description }),
  };
}

/** Server: a chat request as the text-generation task's input; refuses what the served model cannot do. */
function decodeRequest(body: ChatCompletionRequest, context: ChatContext): TextGenerationInput {
  const capabilities = context.capabilities ?? {};
  if (body.n != null && body.n > 1)
    throw unsupported('n > 1 is not supported; send one request per completion', 'n');
  if (body.functions?.length || body.function_call != null) {
    throw unsupported(
      'functions and function_call (the legacy form) are not supported; send `tools` and `tool_choice`',
      body.functions?.length ? 'functions' : 'function_call',
    );
  }
  if (body.logprobs) throw unsupported('logprobs are not supported by this server', 'logprobs');
  const tools = toolsOf(body, capabilities);
  const toolChoice = toolChoiceOf(body.tool_choice, tools);
  const responseFormat = responseFormatOf(body.response_format, capabilities);
  const messages = body.messages.map((message, index) => messageOf(message, index, capabilities));
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  return {
    messages,
    ...(maxTokens != null && { maxTokens }),
    ...samplingOf(body, capabilities),
    ...(tools && { tools }),
    ...(toolChoice !== undefined && { toolChoice }),
    ...(body.parallel_tool_calls != null && { parallelToolCalls: body.parallel_tool_calls }),
    ...(responseFormat && { responseFormat }),
  };
}

/** One step of a path into a request or an input: a key, or an array index. */
export type PathSegment = string | number;

// Task fields whose wire name differs and whose insides keep their names.
const CHAT_FIELDS: Record<string, string> = {
  topP: 'top_p',
  topK: 'top_k',
  frequencyPenalty: 'frequency_penalty',
  presencePenalty: 'presence_penalty',
  logitBias: 'logit_bias',
  parallelToolCalls: 'parallel_tool_calls',
};

/** A path inside the task's messages[i] as a path inside the request's messages[i] (decoded one to one). */
function chatMessagePathOf(
  message: WireChatMessage | undefined,
  path: readonly PathSegment[],
): PathSegment[] {
  const [field, index, key] = path;
  if (field === 'toolCallId') return ['tool_call_id'];
  if (field === 'toolCalls') {
    if (typeof index !== 'number' || key === undefined) return ['tool_calls', ...path.slice(1)];
    return ['tool_calls', index, ...(key === 'id' ? ['id'] : ['function', key])];
  }
  const part =
    field === 'content' && Array.isArray(message?.content) ? message.content[index as number] : undefined;
  // The task's `image` and `mediaType` both come from the part's URL.
  if (part?.type === 'image_url' && key !== undefined) {
    return ['content', index!, 'image_url', ...(typeof part.image_url === 'string' ? [] : ['url'])];
  }
  return [...path];
}

/**
 * Server: where a path into the task's input (`input.` left off), as the task's check or a model
 * names it, points in the chat request — `tools[1].name` is `tools[1].function.name`,
 * `messages[2].content[0].image` is `messages[2].content[0].image_url.url` — so a 400's `param`
 * names a field the client sent.
 */
export function chatRequestPathOf(body: ChatCompletionRequest, path: readonly PathSegment[]): PathSegment[] {
  const [field, index, key] = path;
  switch (field) {
    case 'messages':
      if (typeof index !== 'number') return ['messages'];
      return ['messages', index, ...chatMessagePathOf(body.messages[index], path.slice(2))];
    case 'tools':
      if (typeof index !== 'number' || key === undefined) return [...path];
      return ['tools', index, 'function', ...path.slice(2)];
    case 'toolChoice':
      return index === 'tool' ? ['tool_choice', 'function', 'name'] : ['tool_choice'];
    case 'responseFormat':
      if (index === undefined || index === 'type') return ['response_format', ...path.slice(1)];
      return ['response_format', 'json_schema', ...path.slice(1)];
    case 'maxTokens':
      return [body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens'];
    case 'stop':
      // Empty stops are dropped on the way in, so the task's indexes are not the request's.
      return ['stop'];
    default:
      return field === undefined ? [] : [CHAT_FIELDS[field] ?? field, ...path.slice(1)];
  }
}

// --- Responses, both directions -----------------------------------------------------------------

/** Server: the task's output as a `chat.completion`. */
function encodeResponse(output: TextGenerationOutput, context: ChatContext) {
  const meta = context.meta ?? newCompletionMeta(context.modelName);
  const toolCalls = output.toolCalls?.length
    ? output.toolCalls.map((call) => ({
        id: call.id,
        type: 'function' as const,
        function: { name: call.name, arguments: argumentsText(call.arguments) },
      }))
    : undefined;
  // OpenAI sends `content: null` for a turn that only called tools or refused.
  const content = !output.text && (toolCalls || output.refusal !== undefined) ? null : output.text;
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: output.refusal ?? null,
          ...(toolCalls && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: toolCalls ? 'tool_calls' : finishReasonOf(output.finishReason),
      },
    ],
    usage: usageOf(output.usage),
  };
}

/**
 * Client: a `chat.completion` (schema-checked) as the task's output. Tool-call arguments are
 * handed on as the JSON text the server sent; the model's check parses and validates them.
 */
function decodeResponse(body: ChatCompletion): TextGenerationOutput {
  const choice = body.choices[0]!;
  const { message } = choice;
  const toolCalls = message.tool_calls?.map((call) => ({
    id: call.id,
    name: call.function.name,
    arguments: call.function.arguments ?? '',
  }));
  const called = toolCalls !== undefined && toolCalls.length > 0;
  return {
    text: message.content ?? '',
    ...(called && { toolCalls }),
    ...(message.refusal != null && { refusal: message.refusal }),
    finishReason: finishOf(choice.finish_reason, called),
    ...(choice.finish_reason != null && { rawFinishReason: choice.finish_reason }),
    usage: toUsage(body.usage),
  };
}

/** Text generation over chat completions, both directions. */
export const chatCompletions: TaskMapping<
  TextGenerationTask,
  ChatCompletionRequest,
  ChatCompletion,
  ChatContext
> = { encodeRequest, decodeRequest, encodeResponse, decodeResponse };

// The client's halves on their own too: a client that imports only these leaves the server's out of its bundle.
export { decodeResponse as decodeChatResponse, encodeRequest as encodeChatRequest };

// --- Streams ----------------------------------------------------------------------------------

/**
 * Server: the payloads of one streamed completion (`object` 'chat.completion.chunk' or
 * 'text_completion'): a chunk of one choice (with `usage: null` while the usage chunk is to come),
 * and the usage chunk (`choices: []`).
 */
export function chunkWriter(object: string, meta: CompletionMeta, includeUsage: boolean) {
  const base = { id: meta.id, object, created: meta.created, model: meta.model };
  const extra = includeUsage ? { usage: null } : {};
  return {
    /** The chunk of one choice. */
    choice: (choice: Record<string, unknown>) => JSON.stringify({ ...base, choices: [choice], ...extra }),
    /** The closing usage chunk (`choices: []`). */
    usage: (usage: Usage) => JSON.stringify({ ...base, choices: [], usage: usageOf(usage) }),
  };
}

/**
 * Server: the task's stream as OpenAI's SSE payloads: a role chunk, content deltas, tool-call
 * deltas as OpenAI sends them (a call's first delta carries its index, id, type and name with
 * empty arguments, the next ones argument pieces; a call whose arguments were not streamed comes
 * in one delta), a refusal, a chunk with the finish_reason, the usage chunk (`choices: []`) when
 * asked, then `[DONE]`. A failure mid-stream is sent as an `{error}` event (`failureOf` gives its
 * status and code) and the stream ends without `[DONE]`, so clients see it failed.
 */
export async function* chatCompletionChunks(
  chunks: AsyncIterable<TextGenerationChunk>,
  meta: CompletionMeta,
  includeUsage: boolean,
  failureOf: (error: unknown) => WireFailure,
): AsyncGenerator<string> {
  const write = chunkWriter('chat.completion.chunk', meta, includeUsage);
  const event = (delta: Record<string, unknown>, finishReason: string | null) =>
    write.choice({ index: 0, delta, logprobs: null, finish_reason: finishReason });
  const callStart = (chunk: { index: number; id: string; name: string }, args: string) =>
    event(
      {
        tool_calls: [
          {
            index: chunk.index,
            id: chunk.id,
            type: 'function',
            function: { name: chunk.name, arguments: args },
          },
        ],
      },
      null,
    );

  yield event({ role: 'assistant', content: '' }, null);
  let usage: Usage | undefined;
  let finished = false;
  const started = new Set<number>();
  try {
    for await (const chunk of chunks) {
      if (chunk.type === 'text-delta') {
        if (chunk.text) yield event({ content: chunk.text }, null);
      } else if (chunk.type === 'tool-call-delta') {
        if (!started.has(chunk.index)) {
          started.add(chunk.index);
          yield callStart(chunk, '');
        }
        if (chunk.argumentsDelta) {
          yield event(
            { tool_calls: [{ index: chunk.index, function: { arguments: chunk.argumentsDelta } }] },
            null,
          );
        }
      } else if (chunk.type === 'tool-call') {
        if (!started.has(chunk.index)) {
          started.add(chunk.index);
          yield callStart(chunk, argumentsText(chunk.arguments));
        }
      } else if (chunk.type === 'finish' && !finished) {
        finished = true;
        usage = chunk.usage;
        if (chunk.refusal) yield event({ refusal: chunk.refusal }, null);
        yield event({}, started.size > 0 ? 'tool_calls' : finishReasonOf(chunk.finishReason));
      }
    }
  } catch (error) {
    yield JSON.stringify(errorBody(failureOf(error)));
    return;
  }
  if (!finished) yield event({}, started.size > 0 ? 'tool_calls' : 'stop');
  if (includeUsage) yield write.usage(usage ?? {});
  yield '[DONE]';
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

/** A tool call being streamed: what arrived so far, and how much of its arguments went out as deltas. */
interface StreamedCall {
  /** Its place among the turn's calls (the chunks' `index`). */
  index: number;
  /** The id the server gave it (undefined until it arrives). */
  wireId: string | undefined;
  name: string | undefined;
  arguments: string;
  sent: number;
}

/**
 * Client: the tool calls of one streamed turn, assembled from `delta.tool_calls`. OpenAI sends a
 * call's `index`, `id` and name once and its arguments in pieces; some servers send a whole call
 * in one delta, leave `index` out (the call's position in the delta is used, and a new id there
 * starts a new call), or send arguments before the name (they wait for it).
 */
class ToolCallAssembler {
  private readonly calls: StreamedCall[] = [];
  private readonly open = new Map<number, StreamedCall>();
  private flushed = 0;
  private readonly provider: string;

  constructor(provider: string) {
    this.provider = provider;
  }

  get count(): number {
    return this.calls.length;
  }

  /** The `tool-call-delta` chunks of one delta's `tool_calls`. */
  *add(entries: readonly WireToolCallDelta[]): Generator<TextGenerationChunk> {
    for (const [position, entry] of entries.entries()) {
      const key = entry.index ?? position;
      let call = this.open.get(key);
      if (call && entry.index == null && entry.id && call.wireId && entry.id !== call.wireId)
        call = undefined;
      if (!call) {
        call = { index: this.calls.length, wireId: undefined, name: undefined, arguments: '', sent: 0 };
        this.calls.push(call);
        this.open.set(key, call);
      }
      if (entry.id) call.wireId ??= entry.id;
      if (entry.function?.name) call.name ??= entry.function.name;
      if (entry.function?.arguments) call.arguments += entry.function.arguments;
      if (call.name !== undefined && call.arguments.length > call.sent) {
        yield {
          type: 'tool-call-delta',
          index: call.index,
          id: this.idOf(call),
          name: call.name,
          argumentsDelta: call.arguments.slice(call.sent),
        };
        call.sent = call.arguments.length;
      }
    }
  }

  /** One `tool-call` chunk per call not yet completed, in order; arguments as the JSON text that arrived. */
  *complete(): Generator<TextGenerationChunk> {
    for (const call of this.calls.slice(this.flushed)) {
      if (call.name === undefined) {
        throw new ResponseValidationError(
          `${this.provider} streamed tool call ${call.index} without a function name`,
          { provider: this.provider },
        );
      }
      yield {
        type: 'tool-call',
        index: call.index,
        id: this.idOf(call),
        name: call.name,
        arguments: call.arguments,
      };
    }
    this.flushed = this.calls.length;
    this.open.clear();
  }

  // A server that gives no id (some local servers): the call's place stands in for it.
  private idOf(call: StreamedCall): string {
    call.wireId ??= `call_${call.index}`;
    return call.wireId;
  }
}

/**
 * Client: a chat completion's server-sent events as the task's chunks: text deltas, tool-call
 * deltas, one `tool-call` per completed call (at the finish_reason, in order), then one finish
 * chunk with the finish reason, the refusal, and the usage of `include_usage`. An error event
 * becomes its typed error; a stream that ends before `[DONE]` and before a finish_reason is a
 * NetworkError (the answer is incomplete).
 */
export async function* chatCompletionStream(
  events: AsyncIterable<Pick<SseEvent, 'event' | 'data'>>,
  provider: string,
): AsyncGenerator<TextGenerationChunk> {
  let rawFinishReason: string | undefined;
  let refusal = '';
  let usage: Usage = {};
  let done = false;
  const calls = new ToolCallAssembler(provider);
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
      if (choice.delta?.refusal) refusal += choice.delta.refusal;
      if (choice.delta?.tool_calls?.length) yield* calls.add(choice.delta.tool_calls);
      if (choice.finish_reason) {
        rawFinishReason = choice.finish_reason;
        yield* calls.complete();
      }
    }
  } catch (error) {
    // The answer is complete once [DONE] arrived; a failure while draining the rest does not undo it.
    if (!done) throw error;
  }
  if (!done && rawFinishReason === undefined) {
    throw new NetworkError(
      `${provider} ended the stream before [DONE] and before a finish_reason; the answer is incomplete — retry the call`,
      { provider },
    );
  }
  yield* calls.complete();
  yield {
    type: 'finish',
    finishReason: finishOf(rawFinishReason, calls.count > 0),
    ...(rawFinishReason !== undefined && { rawFinishReason }),
    ...(refusal && { refusal }),
    usage,
  };
}
