/**
 * Text generation over OpenAI's Responses API (`/v1/responses`), the server's half: a request as
 * the task's input (what a text-only model cannot honour is refused by name), and the output or
 * stream as the `response` object and its named SSE events, in OpenAI's order.
 */
import type {
  ChatMessage,
  TextGenerationChunk,
  TextGenerationInput,
  TextGenerationOutput,
} from '../../tasks/text-generation.ts';
import type { Usage } from '../../tasks/usage.ts';
import { unsupported, type WireFailure } from './errors.ts';
import type { ResponseInputItem, ResponsesRequest } from './schemas.ts';

/** A named server-sent event (`event: <name>` before its `data:`). */
export interface NamedEvent {
  event: string;
  data: string;
}

const ROLES: Record<string, ChatMessage['role']> = {
  user: 'user',
  assistant: 'assistant',
  system: 'system',
  developer: 'system',
};

function messageOf(item: ResponseInputItem, index: number): ChatMessage {
  const at = `input[${index}]`;
  // The AI SDK replays an earlier reply as a reference to it unless the call sets store: false.
  if (item.type === 'item_reference') {
    throw unsupported(
      `${at} is an item_reference (${JSON.stringify(item.id)}), but this server stores no responses: send the item itself as a message ({role, content}); with the AI SDK, set providerOptions.openai.store to false`,
      `${at}.type`,
    );
  }
  if (item.type !== undefined && item.type !== 'message') {
    throw unsupported(
      `${at} is a "${item.type}" item; this server takes message items ({role, content}) only`,
      `${at}.type`,
    );
  }
  const role = item.role === undefined ? undefined : ROLES[item.role];
  if (!role) {
    throw unsupported(
      `${at}.role must be one of user|assistant|system|developer (got ${JSON.stringify(item.role)})`,
      `${at}.role`,
    );
  }
  if (item.content === undefined) throw unsupported(`${at} needs content`, `${at}.content`);
  if (typeof item.content === 'string') return { role, content: item.content };
  const content = item.content
    .map((part, partIndex) => {
      // An assistant turn replayed from an earlier response carries output_text parts.
      if ((part.type !== 'input_text' && part.type !== 'output_text') || typeof part.text !== 'string') {
        throw unsupported(
          `${at}.content[${partIndex}] is a "${part.type}" part; this server takes input_text parts only`,
          `${at}.content[${partIndex}].type`,
        );
      }
      return part.text;
    })
    .join('\n');
  return { role, content };
}

/** Responses API fields a text-only model cannot honour: each is refused by name, never ignored. */
function refuseUnsupported(body: ResponsesRequest): void {
  if (body.tools?.length)
    throw unsupported('Tools are not supported by this server; remove `tools`', 'tools');
  if (body.tool_choice != null && body.tool_choice !== 'none' && body.tool_choice !== 'auto')
    throw unsupported('tool_choice needs tools, which this server does not support', 'tool_choice');
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
  const format = body.text?.format?.type;
  if (format !== undefined && format !== 'text')
    throw unsupported(`text.format "${format}" is not supported; omit it`, 'text.format');
}

/** A Responses API request as the text-generation task's input; `instructions` lead as a system message. */
export function toResponsesInput(body: ResponsesRequest): TextGenerationInput {
  refuseUnsupported(body);
  const messages: ChatMessage[] =
    typeof body.input === 'string'
      ? [{ role: 'user', content: body.input }]
      : body.input.map((item, index) => messageOf(item, index));
  if (body.instructions) messages.unshift({ role: 'system', content: body.instructions });
  return {
    messages,
    ...(body.max_output_tokens != null && { maxTokens: body.max_output_tokens }),
    ...(body.temperature != null && { temperature: body.temperature }),
    ...(body.top_p != null && { topP: body.top_p }),
  };
}

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

function messageItem(meta: ResponseMeta, status: Status, text: string | undefined) {
  return {
    type: 'message',
    id: meta.messageId,
    status,
    role: 'assistant',
    content: text === undefined ? [] : [outputText(text)],
  };
}

const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** The `response` object; a generation cut by `max_output_tokens` is `incomplete`, as OpenAI reports it. */
function responseObject(meta: ResponseMeta, status: Status, result?: { text: string; usage: Usage }) {
  const { body } = meta;
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status,
    ...(status !== 'in_progress' && { completed_at: Math.floor(Date.now() / 1000) }),
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    model: body.model,
    output: result ? [messageItem(meta, status, result.text)] : [],
    parallel_tool_calls: false,
    temperature: body.temperature ?? null,
    text: { format: { type: 'text' } },
    tool_choice: 'none',
    tools: [],
    top_p: body.top_p ?? null,
    truncation: 'disabled',
    usage: result ? usageOf(result.usage) : null,
  };
}

/** The task's output as the `response` object (status `incomplete` when cut by max_output_tokens). */
export function toResponse(output: TextGenerationOutput, meta: ResponseMeta) {
  return responseObject(meta, output.finishReason === 'length' ? 'incomplete' : 'completed', output);
}

/**
 * The task's stream as the Responses API's named SSE events, in OpenAI's order: response.created,
 * response.in_progress, output_item.added, content_part.added, output_text.delta (one per chunk),
 * output_text.done, content_part.done, output_item.done, then response.completed (or
 * response.incomplete when cut by max_output_tokens). A failure mid-stream is an `error` event
 * (`failureOf` gives its code and param).
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
  const at = { item_id: meta.messageId, output_index: 0, content_index: 0 };

  yield event('response.created', { response: responseObject(meta, 'in_progress') });
  yield event('response.in_progress', { response: responseObject(meta, 'in_progress') });
  yield event('response.output_item.added', {
    output_index: 0,
    item: messageItem(meta, 'in_progress', undefined),
  });
  yield event('response.content_part.added', { ...at, part: outputText('') });
  let text = '';
  let finish: Extract<TextGenerationChunk, { type: 'finish' }> | undefined;
  try {
    for await (const chunk of chunks) {
      if (chunk.type === 'text-delta') {
        if (!chunk.text || finish) continue;
        text += chunk.text;
        yield event('response.output_text.delta', { ...at, delta: chunk.text, logprobs: [] });
      } else {
        finish ??= chunk;
      }
    }
  } catch (error) {
    const failure = failureOf(error);
    yield event('error', { code: failure.code, message: failure.message, param: failure.param ?? null });
    return;
  }
  const status: Status = finish?.finishReason === 'length' ? 'incomplete' : 'completed';
  yield event('response.output_text.done', { ...at, text, logprobs: [] });
  yield event('response.content_part.done', { ...at, part: outputText(text) });
  yield event('response.output_item.done', { output_index: 0, item: messageItem(meta, status, text) });
  yield event(status === 'completed' ? 'response.completed' : 'response.incomplete', {
    response: responseObject(meta, status, { text, usage: finish?.usage ?? {} }),
  });
}
