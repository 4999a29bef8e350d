/**
 * Text generation over OpenAI's Responses API (`/v1/responses`), the server's half: a request as
 * the task's input (function tools, `text.format` json and image parts where the served model
 * declares them; what it cannot honour is refused by name), and the output or stream as the
 * `response` object and its named SSE events, in OpenAI's order.
 */
import { InvalidInputError } from '../../errors.ts';
import type { Capabilities } from '../../model.ts';
import type {
  ChatMessage,
  ImagePart,
  ResponseFormat,
  TextGenerationChunk,
  TextGenerationInput,
  TextGenerationOutput,
  TextPart,
  Tool,
  ToolCall,
  ToolChoice,
} from '../../tasks/text-generation.ts';
import type { Usage } from '../../tasks/usage.ts';
import { parseInput } from '../../validate.ts';
import type { PathSegment } from './chat.ts';
import { unsupported, type WireFailure } from './errors.ts';
import {
  ResponseFunctionCallItem,
  ResponseFunctionCallOutputItem,
  ResponseFunctionTool,
  ResponseFunctionToolChoice,
  ResponseInputImagePart,
  type ResponseInputItem,
  ResponseJsonSchemaFormat,
  type ResponsesRequest,
} from './schemas.ts';

/** A named server-sent event (`event: <name>` before its `data:`). */
export interface NamedEvent {
  event: string;
  data: string;
}

/** What the Responses mapping needs besides the request. */
export interface ResponsesContext {
  /** What the served model honours; tools, json formats and images it does not are refused by name. */
  capabilities?: Pick<Capabilities, 'tools' | 'jsonSchema' | 'images'> | undefined;
}

type ModelCapabilities = NonNullable<ResponsesContext['capabilities']>;

// --- Request: input items --------------------------------------------------------------------

const ROLES: Record<string, 'user' | 'assistant' | 'system'> = {
  user: 'user',
  assistant: 'assistant',
  system: 'system',
  developer: 'system',
};

function invalid(path: string, message: string): InvalidInputError {
  return new InvalidInputError(`Invalid input — ${path}: ${message}`, { issues: [{ path, message }] });
}

/** Tool calls and their results need a model that calls tools. */
function requireTools(capabilities: ModelCapabilities, at: string, type: string): void {
  if (!capabilities.tools) {
    throw unsupported(
      `${at} is a "${type}" item, but this model does not call tools (it does not declare capabilities.tools); send message items ({role, content}) only`,
      `${at}.type`,
    );
  }
}

function imageOf(part: unknown, at: string, role: string, capabilities: ModelCapabilities): ImagePart {
  if (!capabilities.images) {
    throw unsupported(
      `${at} is an input_image part, but this model does not read images (it does not declare capabilities.images); send input_text parts only`,
      `${at}.type`,
    );
  }
  if (role !== 'user') {
    throw unsupported(
      `${at} is an input_image part in a ${role} message; images go in user messages`,
      `${at}.type`,
    );
  }
  const image = parseInput(ResponseInputImagePart, part, `body.${at}`);
  if (image.image_url == null) {
    if (image.file_id != null) {
      throw unsupported(
        `${at}.file_id is not supported: this server stores no files; send the image as image_url (a data: or http(s) URL)`,
        `${at}.file_id`,
      );
    }
    throw invalid(`body.${at}.image_url`, 'an input_image part needs image_url (a data: or http(s) URL)');
  }
  return { type: 'image', image: image.image_url };
}

/** A message item as a chat turn: text parts, and image parts in user turns of a model that reads images. */
function messageOf(item: ResponseInputItem, at: string, capabilities: ModelCapabilities): ChatMessage {
  const role = item.role === undefined ? undefined : ROLES[item.role];
  if (!role) {
    throw unsupported(
      `${at}.role must be one of user|assistant|system|developer (got ${JSON.stringify(item.role)})`,
      `${at}.role`,
    );
  }
  if (item.content === undefined) throw unsupported(`${at} needs content`, `${at}.content`);
  if (typeof item.content === 'string') return { role, content: item.content };
  const parts: (TextPart | ImagePart)[] = item.content.map((part, partIndex) => {
    const partAt = `${at}.content[${partIndex}]`;
    if (part.type === 'input_image') return imageOf(part, partAt, item.role!, capabilities);
    // An assistant turn replayed from an earlier response carries output_text (or refusal) parts.
    const refusal = part.type === 'refusal' ? part.refusal : undefined;
    if (typeof refusal === 'string') return { type: 'text', text: refusal };
    if ((part.type !== 'input_text' && part.type !== 'output_text') || typeof part.text !== 'string') {
      throw unsupported(
        `${partAt} is a "${part.type}" part; this server takes input_text${capabilities.images ? ' and input_image' : ''} parts only`,
        `${partAt}.type`,
      );
    }
    return { type: 'text', text: part.text };
  });
  if (role === 'user' && parts.some((part) => part.type === 'image')) return { role, content: parts };
  return { role, content: parts.map((part) => (part as TextPart).text).join('\n') };
}

function argumentsOf(text: string, at: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(
      `body.${at}.arguments`,
      `not JSON (${(error as Error).message}); send the call's arguments as JSON text`,
    );
  }
}

function toolResultOf(item: ResponseInputItem, at: string): ChatMessage {
  const result = parseInput(ResponseFunctionCallOutputItem, item, `body.${at}`);
  const content =
    typeof result.output === 'string'
      ? result.output
      : result.output
          .map((part, partIndex) => {
            if (part.type !== 'input_text' || typeof part.text !== 'string') {
              throw unsupported(
                `${at}.output[${partIndex}] is a "${part.type}" part; tool results here are text (a string or input_text parts)`,
                `${at}.output[${partIndex}].type`,
              );
            }
            return part.text;
          })
          .join('\n');
  return { role: 'tool', toolCallId: result.call_id, content };
}

/** Where one of the task's messages came from: its item (or `instructions`, `input`), and the items of its tool calls. */
interface MessageSource {
  at: PathSegment[];
  calls: number[];
}

/**
 * The request's turns as the task's messages, each with where it came from: `instructions` lead as
 * a system message; a function_call item joins the assistant turn before it (the message and the
 * calls of one earlier response, replayed), so consecutive calls are one turn.
 */
function turnsOf(
  body: ResponsesRequest,
  capabilities: ModelCapabilities,
): { messages: ChatMessage[]; sources: MessageSource[] } {
  const messages: ChatMessage[] = [];
  const sources: MessageSource[] = [];
  const add = (message: ChatMessage, at: PathSegment[], calls: number[] = []) => {
    messages.push(message);
    sources.push({ at, calls });
  };
  if (body.instructions) add({ role: 'system', content: body.instructions }, ['instructions']);
  if (typeof body.input === 'string') {
    add({ role: 'user', content: body.input }, ['input']);
    return { messages, sources };
  }
  body.input.forEach((item, index) => {
    const at = `input[${index}]`;
    // The AI SDK replays an earlier reply as a reference to it unless the call sets store: false.
    if (item.type === 'item_reference') {
      throw unsupported(
        `${at} is an item_reference (${JSON.stringify(item.id)}), but this server stores no responses: send the item itself as a message ({role, content}); with the AI SDK, set providerOptions.openai.store to false`,
        `${at}.type`,
      );
    }
    if (item.type === 'function_call') {
      requireTools(capabilities, at, item.type);
      const call = parseInput(ResponseFunctionCallItem, item, `body.${at}`);
      const toolCall: ToolCall = {
        id: call.call_id,
        name: call.name,
        arguments: argumentsOf(call.arguments, at),
      };
      const last = messages.at(-1);
      if (last?.role === 'assistant') {
        last.toolCalls = [...(last.toolCalls ?? []), toolCall];
        sources.at(-1)!.calls.push(index);
      } else {
        add({ role: 'assistant', content: '', toolCalls: [toolCall] }, ['input', index], [index]);
      }
    } else if (item.type === 'function_call_output') {
      requireTools(capabilities, at, item.type);
      add(toolResultOf(item, at), ['input', index]);
    } else if (item.type === undefined || item.type === 'message') {
      add(messageOf(item, at, capabilities), ['input', index]);
    } else {
      throw unsupported(
        `${at} is a "${item.type}" item; this server takes message${capabilities.tools ? ', function_call and function_call_output' : ''} items only`,
        `${at}.type`,
      );
    }
  });
  return { messages, sources };
}

// --- Request: tools, tool_choice, text.format ----------------------------------------------------

function toolsOf(body: ResponsesRequest, capabilities: ModelCapabilities): Tool[] | undefined {
  if (!body.tools?.length) return undefined;
  if (!capabilities.tools) {
    throw unsupported(
      'This model does not call tools (it does not declare capabilities.tools); remove `tools`',
      'tools',
    );
  }
  return body.tools.map((tool, index) => {
    if (tool.type !== 'function') {
      throw unsupported(
        `tools[${index}] is a "${tool.type}" tool; this server runs function tools only ({type: 'function', name, parameters})`,
        `tools[${index}].type`,
      );
    }
    const fn = parseInput(ResponseFunctionTool, tool, `body.tools[${index}]`);
    return {
      name: fn.name,
      ...(fn.description != null && { description: fn.description }),
      ...(fn.parameters != null && { parameters: fn.parameters }),
    };
  });
}

function toolChoiceOf(body: ResponsesRequest, tools: Tool[] | undefined): ToolChoice | undefined {
  const choice = body.tool_choice;
  if (choice == null) return undefined;
  if (!tools) {
    if (choice === 'none' || choice === 'auto') return undefined;
    throw unsupported(
      'tool_choice needs tools to choose from; pass tools or omit tool_choice',
      'tool_choice',
    );
  }
  if (typeof choice === 'string') return choice;
  if (choice.type !== 'function') {
    throw unsupported(
      `tool_choice {type: "${choice.type}"} is not supported; use "auto", "none", "required" or {type: "function", name}`,
      'tool_choice',
    );
  }
  const { name } = parseInput(ResponseFunctionToolChoice, choice, 'body.tool_choice');
  if (!tools.some((tool) => tool.name === name)) {
    throw invalid(
      'body.tool_choice.name',
      `no tool is named "${name}" (tools: ${tools.map((tool) => tool.name).join(', ')})`,
    );
  }
  return { tool: name };
}

function responseFormatOf(
  body: ResponsesRequest,
  capabilities: ModelCapabilities,
): ResponseFormat | undefined {
  const format = body.text?.format;
  if (format == null || format.type === 'text') return undefined;
  if (format.type !== 'json_schema' && format.type !== 'json_object') {
    throw unsupported(
      `text.format "${format.type}" is not supported; use "json_schema", "json_object" or "text"`,
      'text.format',
    );
  }
  if (!capabilities.jsonSchema) {
    throw unsupported(
      `text.format "${format.type}" is not supported by this model (it does not declare capabilities.jsonSchema); omit it`,
      'text.format',
    );
  }
  if (format.type === 'json_object') return { type: 'json' };
  const json = parseInput(ResponseJsonSchemaFormat, format, 'body.text.format');
  return {
    type: 'json',
    schema: json.schema,
    name: json.name,
    ...(json.description != null && { description: json.description }),
  };
}

/** Responses API fields the server cannot honour for any model: each is refused by name, never ignored. */
function refuseUnsupported(body: ResponsesRequest): void {
  if (body.previous_response_id != null)
    throw unsupported(
      'previous_response_id is not supported: this server stores no responses; send the whole conversation as input',
      'previous_response_id',
    );
  if (body.conversation != null)
    throw unsupported('conversation is not supported; send the whole conversation as input', 'conversation');
  if (body.prompt != null) throw unsupported('Prompt templates (prompt) are not supported', 'prompt');
  if (body.reasoning != null) throw unsupported('reasoning options are not supported', 'reasoning');
  if (body.background) throw unsupported('background responses are not supported', 'background');
  if (body.store)
    throw unsupported('store is not supported: this server stores no responses; omit it', 'store');
  if (body.include?.length) throw unsupported('include is not supported; omit it', 'include');
  if (body.top_logprobs) throw unsupported('top_logprobs is not supported', 'top_logprobs');
  if (body.max_tool_calls != null)
    throw unsupported('max_tool_calls is not supported; omit it', 'max_tool_calls');
}

/**
 * A Responses API request as the text-generation task's input: `instructions` lead as a system
 * message; function tools, `tool_choice`, `parallel_tool_calls`, `text.format` (json_schema,
 * json_object) and input_image parts where `context.capabilities` declares them.
 */
export function toResponsesInput(
  body: ResponsesRequest,
  context: ResponsesContext = {},
): TextGenerationInput {
  const capabilities = context.capabilities ?? {};
  refuseUnsupported(body);
  const tools = toolsOf(body, capabilities);
  const toolChoice = toolChoiceOf(body, tools);
  const responseFormat = responseFormatOf(body, capabilities);
  return {
    messages: turnsOf(body, capabilities).messages,
    ...(body.max_output_tokens != null && { maxTokens: body.max_output_tokens }),
    ...(body.temperature != null && { temperature: body.temperature }),
    ...(body.top_p != null && { topP: body.top_p }),
    ...(tools && { tools }),
    ...(toolChoice && { toolChoice }),
    ...(tools && body.parallel_tool_calls != null && { parallelToolCalls: body.parallel_tool_calls }),
    ...(responseFormat && { responseFormat }),
  };
}

// --- Request: the task's paths in the request's terms ----------------------------------------------

/**
 * What every model reads, for finding where a message came from: the body passed `toResponsesInput`
 * already, and what the model honours changes which items are refused, never how they group.
 */
const EVERY_CAPABILITY: ModelCapabilities = { tools: true, jsonSchema: true, images: true };

function messagePathOf(body: ResponsesRequest, index: number, path: readonly PathSegment[]): PathSegment[] {
  const source = turnsOf(body, EVERY_CAPABILITY).sources[index];
  if (!source) return ['input'];
  const [field, position, key] = path;
  if (field === 'toolCalls' && typeof position === 'number' && source.calls[position] !== undefined) {
    const call: PathSegment[] = ['input', source.calls[position]];
    if (key === undefined) return call;
    return [...call, key === 'id' ? 'call_id' : key];
  }
  if (source.at.length === 1) return source.at;
  if (field === 'toolCallId') return [...source.at, 'call_id'];
  const item = Array.isArray(body.input) ? body.input[source.at[1] as number] : undefined;
  if (field === 'content' && item?.type === 'function_call_output') return [...source.at, 'output'];
  if (field === 'content' && typeof position === 'number' && key !== undefined) {
    const part = Array.isArray(item?.content) ? item.content[position] : undefined;
    // The task's `image` and `mediaType` both come from the part's image_url.
    if (part?.type === 'input_image') return [...source.at, 'content', position, 'image_url'];
  }
  return [...source.at, ...path];
}

/**
 * Where a path into the task's input (`input.` left off), as the task's check or a model names
 * it, points in the Responses request — `messages[3].toolCallId` is the item's `input[4].call_id`,
 * `responseFormat.schema` is `text.format.schema` — so a 400's `param` names a field the client sent.
 */
export function responsesRequestPathOf(body: ResponsesRequest, path: readonly PathSegment[]): PathSegment[] {
  const [field, index] = path;
  switch (field) {
    case 'messages':
      return typeof index === 'number' ? messagePathOf(body, index, path.slice(2)) : ['input'];
    case 'toolChoice':
      return index === 'tool' ? ['tool_choice', 'name'] : ['tool_choice'];
    case 'responseFormat':
      return ['text', 'format', ...path.slice(1)];
    case 'maxTokens':
      return ['max_output_tokens'];
    case 'topP':
      return ['top_p'];
    case 'parallelToolCalls':
      return ['parallel_tool_calls'];
    default:
      // tools (name, description, parameters) and temperature keep their names.
      return [...path];
  }
}

// --- Response ------------------------------------------------------------------------------------

/** What one Responses answer is built from: its ids, creation time and the request it answers. */
export interface ResponseMeta {
  id: string;
  messageId: string;
  createdAt: number;
  body: ResponsesRequest;
}

/** New ids (`resp_…`, `msg_…`) and `created_at` (now, Unix seconds) for the response to `body`. */
export function newResponseMeta(body: ResponsesRequest): ResponseMeta {
  const id = crypto.randomUUID().replaceAll('-', '');
  return { id: `resp_${id}`, messageId: `msg_${id}`, createdAt: Math.floor(Date.now() / 1000), body };
}

type Status = 'in_progress' | 'completed' | 'incomplete';
type Item = Record<string, unknown>;

/** `incomplete` when cut by max_output_tokens or a content filter, as OpenAI reports it; else `completed`. */
function statusOf(finishReason: TextGenerationOutput['finishReason'] | undefined): Status {
  return finishReason === 'length' || finishReason === 'content-filter' ? 'incomplete' : 'completed';
}

function usageOf(usage: Usage) {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.totalTokens ?? input + output,
  };
}

const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
const refusalPart = (refusal: string) => ({ type: 'refusal', refusal });

const messageItem = (id: string, status: Status, content: Item[]): Item => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content,
});

/** The `fc_…` id of the response's function_call item for tool call `index`. */
const functionCallId = (meta: ResponseMeta, index: number) => `fc_${meta.id.slice('resp_'.length)}_${index}`;

const functionCallItem = (
  id: string,
  call: { id: string; name: string },
  args: string,
  status: Status,
): Item => ({ type: 'function_call', id, call_id: call.id, name: call.name, arguments: args, status });

/** A tool call's arguments as JSON text (models hand them parsed, or as the raw text). */
const argumentsText = (args: unknown) => (typeof args === 'string' ? args : JSON.stringify(args ?? {}));

/** The output items of a whole answer: the message (text or refusal), then one function_call per tool call. */
function outputItems(output: TextGenerationOutput, meta: ResponseMeta, status: Status): Item[] {
  const items: Item[] = [];
  const calls = output.toolCalls ?? [];
  if (output.text !== '' || output.refusal !== undefined || calls.length === 0) {
    const content: Item[] = [];
    if (output.text !== '' || output.refusal === undefined) content.push(outputText(output.text));
    if (output.refusal !== undefined) content.push(refusalPart(output.refusal));
    items.push(messageItem(meta.messageId, status, content));
  }
  calls.forEach((call, index) => {
    items.push(
      functionCallItem(functionCallId(meta, index), call, argumentsText(call.arguments), 'completed'),
    );
  });
  return items;
}

/** The `response` object, echoing the request's tools, tool_choice and text.format. */
function responseObject(
  meta: ResponseMeta,
  status: Status,
  result?: { output: Item[]; usage: Usage; finishReason?: TextGenerationOutput['finishReason'] | undefined },
) {
  const { body } = meta;
  const incomplete =
    status === 'incomplete'
      ? { reason: result?.finishReason === 'content-filter' ? 'content_filter' : 'max_output_tokens' }
      : null;
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status,
    ...(status !== 'in_progress' && { completed_at: Math.floor(Date.now() / 1000) }),
    error: null,
    incomplete_details: incomplete,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    model: body.model,
    output: result?.output ?? [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    temperature: body.temperature ?? null,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    truncation: 'disabled',
    usage: result ? usageOf(result.usage) : null,
  };
}

/**
 * The task's output as the `response` object: a message item (output_text, or a refusal part),
 * then a function_call item per tool call; status `incomplete` when cut by max_output_tokens.
 */
export function toResponse(output: TextGenerationOutput, meta: ResponseMeta) {
  const status = statusOf(output.finishReason);
  return responseObject(meta, status, {
    output: outputItems(output, meta, status),
    usage: output.usage,
    finishReason: output.finishReason,
  });
}

// --- Stream ----------------------------------------------------------------------------------------

interface OpenMessage {
  index: number;
  id: string;
  /** The output_text part's text; undefined when the message has no text part (a refusal only). */
  text: string | undefined;
}

interface OpenCall {
  index: number;
  id: string;
  call: { id: string; name: string };
  arguments: string;
  done: boolean;
}

/**
 * The task's stream as the Responses API's named SSE events, in OpenAI's order (as the openai SDK's
 * ResponseStream accumulates them): response.created, response.in_progress; for text
 * output_item.added (message), content_part.added, output_text.delta (one per chunk),
 * output_text.done, content_part.done, output_item.done; for each tool call output_item.added
 * (function_call, arguments ''), function_call_arguments.delta (one per tool-call-delta, or one
 * with the whole arguments), function_call_arguments.done, output_item.done; a refusal as a
 * refusal part (content_part.added, refusal.delta, refusal.done, content_part.done); then
 * response.completed (or response.incomplete when cut by max_output_tokens) with the whole output.
 * A failure mid-stream is an `error` event (`failureOf` gives its code and param).
 */
export async function* responseEvents(
  chunks: AsyncIterable<TextGenerationChunk>,
  meta: ResponseMeta,
  failureOf: (error: unknown) => WireFailure,
): AsyncGenerator<NamedEvent> {
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>): NamedEvent => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: sequence++, ...fields }),
  });
  // Each output item's latest form, by output_index: what response.completed carries.
  const output: Item[] = [];
  const calls = new Map<number, OpenCall>();
  let message: OpenMessage | undefined;
  let messages = 0;
  let finish: Extract<TextGenerationChunk, { type: 'finish' }> | undefined;

  function* openMessage(withText: boolean): Generator<NamedEvent, OpenMessage> {
    // Text after a tool call is a new message item (OpenAI's output is a list of items in order).
    const id = messages === 0 ? meta.messageId : `${meta.messageId}_${messages}`;
    messages++;
    const opened: OpenMessage = { index: output.length, id, text: withText ? '' : undefined };
    output.push(messageItem(id, 'in_progress', []));
    yield event('response.output_item.added', {
      output_index: opened.index,
      item: messageItem(id, 'in_progress', []),
    });
    if (withText) {
      yield event('response.content_part.added', {
        item_id: id,
        output_index: opened.index,
        content_index: 0,
        part: outputText(''),
      });
    }
    return opened;
  }

  function* closeMessage(open: OpenMessage, status: Status, refusal?: string): Generator<NamedEvent> {
    const at = { item_id: open.id, output_index: open.index };
    const content: Item[] = [];
    if (open.text !== undefined) {
      yield event('response.output_text.done', { ...at, content_index: 0, text: open.text, logprobs: [] });
      yield event('response.content_part.done', { ...at, content_index: 0, part: outputText(open.text) });
      content.push(outputText(open.text));
    }
    if (refusal !== undefined) {
      const part = { ...at, content_index: content.length };
      yield event('response.content_part.added', { ...part, part: refusalPart('') });
      yield event('response.refusal.delta', { ...part, delta: refusal });
      yield event('response.refusal.done', { ...part, refusal });
      yield event('response.content_part.done', { ...part, part: refusalPart(refusal) });
      content.push(refusalPart(refusal));
    }
    output[open.index] = messageItem(open.id, status, content);
    yield event('response.output_item.done', { output_index: open.index, item: output[open.index] });
    message = undefined;
  }

  function* callOf(chunk: { index: number; id: string; name: string }): Generator<NamedEvent, OpenCall> {
    const known = calls.get(chunk.index);
    if (known) return known;
    if (message) yield* closeMessage(message, 'completed');
    const call: OpenCall = {
      index: output.length,
      id: functionCallId(meta, chunk.index),
      call: { id: chunk.id, name: chunk.name },
      arguments: '',
      done: false,
    };
    calls.set(chunk.index, call);
    output.push(functionCallItem(call.id, call.call, '', 'in_progress'));
    yield event('response.output_item.added', { output_index: call.index, item: output[call.index] });
    return call;
  }

  function* argumentsDelta(call: OpenCall, delta: string): Generator<NamedEvent> {
    call.arguments += delta;
    yield event('response.function_call_arguments.delta', {
      item_id: call.id,
      output_index: call.index,
      delta,
    });
  }

  function* closeCall(call: OpenCall, status: Status): Generator<NamedEvent> {
    call.done = true;
    yield event('response.function_call_arguments.done', {
      item_id: call.id,
      output_index: call.index,
      arguments: call.arguments,
    });
    output[call.index] = functionCallItem(call.id, call.call, call.arguments, status);
    yield event('response.output_item.done', { output_index: call.index, item: output[call.index] });
  }

  yield event('response.created', { response: responseObject(meta, 'in_progress') });
  yield event('response.in_progress', { response: responseObject(meta, 'in_progress') });
  try {
    for await (const chunk of chunks) {
      if (finish) continue;
      if (chunk.type === 'text-delta') {
        if (!chunk.text) continue;
        message ??= yield* openMessage(true);
        message.text = (message.text ?? '') + chunk.text;
        yield event('response.output_text.delta', {
          item_id: message.id,
          output_index: message.index,
          content_index: 0,
          delta: chunk.text,
          logprobs: [],
        });
      } else if (chunk.type === 'tool-call-delta') {
        const call = yield* callOf(chunk);
        if (!call.done && chunk.argumentsDelta) yield* argumentsDelta(call, chunk.argumentsDelta);
      } else if (chunk.type === 'tool-call') {
        const call = yield* callOf(chunk);
        if (call.done) continue;
        // A call that came whole (no deltas before it) is sent as one delta with all its arguments.
        if (call.arguments === '') yield* argumentsDelta(call, argumentsText(chunk.arguments));
        yield* closeCall(call, 'completed');
      } else {
        finish = chunk;
      }
    }
  } catch (error) {
    const failure = failureOf(error);
    yield event('error', { code: failure.code, message: failure.message, param: failure.param ?? null });
    return;
  }
  const status = statusOf(finish?.finishReason);
  for (const call of calls.values()) if (!call.done) yield* closeCall(call, status);
  const refusal = finish?.refusal;
  // A refusal joins the open message; an answer with nothing at all is one empty message, as before.
  if (!message && (refusal !== undefined || output.length === 0)) {
    message = yield* openMessage(refusal === undefined);
  }
  if (message) yield* closeMessage(message, status, refusal);
  yield event(status === 'completed' ? 'response.completed' : 'response.incomplete', {
    response: responseObject(meta, status, {
      output,
      usage: finish?.usage ?? {},
      finishReason: finish?.finishReason,
    }),
  });
}
