/**
 * Text generation over OpenAI's chat completions, both directions: the client's request building,
 * response and stream-chunk parsing, and the server's request reading, response and stream-chunk
 * writing. Shared by both: usage, finish reasons, stops and logit adjustments in each other's names.
 */
import { NetworkError, ResponseValidationError } from '../../errors.ts';
import type { SseEvent } from '../../http/types.ts';
import type { Capabilities } from '../../model.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import type {
  FinishReason,
  TextGenerationChunk,
  TextGenerationInput,
  TextGenerationOutput,
  TextGenerationTask,
} from '../../tasks/text-generation.ts';
import type { Usage } from '../../tasks/usage.ts';
import type { TaskMapping } from '../types.ts';
import { errorBody, parseStreamError, streamError, unsupported, type WireFailure } from './errors.ts';
import {
  type ChatCompletion,
  ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatMessage as WireChatMessage,
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
  tool_calls: 'other',
  function_call: 'other',
  error: 'error',
};

/** OpenAI's `finish_reason` as mlkit's FinishReason; unknown or missing values are 'other'. */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  return (reason && FINISH_REASONS[reason]) || 'other';
}

/** OpenAI's finish_reason for the task's. */
export function finishReasonOf(reason: FinishReason): 'stop' | 'length' | 'content_filter' {
  if (reason === 'length') return 'length';
  if (reason === 'content-filter') return 'content_filter';
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
  capabilities?: Pick<Capabilities, 'logitAdjustments'> | undefined;
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

/** Client: the chat/completions request body for a text-generation input. */
function encodeRequest(input: Input, context: ChatContext): ChatCompletionRequest {
  const body: ChatCompletionRequest = {
    model: context.modelName,
    messages: 'messages' in input ? input.messages : [{ role: 'user', content: input.prompt }],
  };
  if (input.maxTokens !== undefined) body[context.maxTokensField ?? 'max_tokens'] = input.maxTokens;
  if (input.temperature !== undefined) body.temperature = input.temperature;
  if (input.topP !== undefined) body.top_p = input.topP;
  if (input.topK !== undefined && context.sendTopK !== false) body.top_k = input.topK;
  if (input.stop !== undefined) body.stop = input.stop;
  if (input.seed !== undefined) body.seed = input.seed;
  Object.assign(body, logitAdjustmentFields(input));
  return body;
}

function contentOf(message: WireChatMessage, index: number): string {
  const content = message.content;
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, partIndex) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw unsupported(
          `messages[${index}].content[${partIndex}] is a "${part.type}" part; this server takes text parts only`,
          `messages[${index}].content[${partIndex}].type`,
        );
      }
      return part.text;
    })
    .join('\n');
}

/** Server: a chat request as the text-generation task's input; refuses what the task cannot do. */
function decodeRequest(body: ChatCompletionRequest, context: ChatContext): TextGenerationInput {
  if (body.n != null && body.n > 1)
    throw unsupported('n > 1 is not supported; send one request per completion', 'n');
  if (body.tools?.length || body.functions?.length) {
    throw unsupported('Tool calling is not supported by this server; remove `tools`', 'tools');
  }
  if (body.logprobs) throw unsupported('logprobs are not supported by this server', 'logprobs');
  if (body.response_format && body.response_format.type !== 'text') {
    throw unsupported(
      `response_format "${body.response_format.type}" is not supported; omit it`,
      'response_format',
    );
  }
  const messages = body.messages.map((message, index) => {
    if (message.role === 'tool' || message.role === 'function') {
      throw unsupported(
        `messages[${index}] has role "${message.role}"; tool messages are not supported`,
        `messages[${index}].role`,
      );
    }
    const role = message.role === 'developer' ? 'system' : message.role;
    return { role, content: contentOf(message, index) };
  });
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  return {
    messages,
    ...(maxTokens != null && { maxTokens }),
    ...samplingOf(body, context.capabilities ?? {}),
  };
}

/** Server: the task's output as a `chat.completion`. */
function encodeResponse(output: TextGenerationOutput, context: ChatContext) {
  const meta = context.meta ?? newCompletionMeta(context.modelName);
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: output.text, refusal: null },
        logprobs: null,
        finish_reason: finishReasonOf(output.finishReason),
      },
    ],
    usage: usageOf(output.usage),
  };
}

/** Client: a `chat.completion` (schema-checked) as the task's output. */
function decodeResponse(body: ChatCompletion): TextGenerationOutput {
  const choice = body.choices[0]!;
  return {
    text: choice.message.content ?? '',
    finishReason: toFinishReason(choice.finish_reason),
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
 * Server: the task's stream as OpenAI's SSE payloads: a role chunk, content deltas, a chunk with
 * the finish_reason, the usage chunk (`choices: []`) when asked, then `[DONE]`. A failure
 * mid-stream is sent as an `{error}` event (`failureOf` gives its status and code) and the stream
 * ends without `[DONE]`, so clients see it failed.
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

  yield event({ role: 'assistant', content: '' }, null);
  let usage: Usage | undefined;
  let finished = false;
  try {
    for await (const chunk of chunks) {
      if (chunk.type === 'text-delta') {
        if (chunk.text) yield event({ content: chunk.text }, null);
      } else if (chunk.type === 'finish' && !finished) {
        finished = true;
        usage = chunk.usage;
        yield event({}, finishReasonOf(chunk.finishReason));
      }
    }
  } catch (error) {
    yield JSON.stringify(errorBody(failureOf(error)));
    return;
  }
  if (!finished) yield event({}, 'stop');
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

/**
 * Client: a chat completion's server-sent events as the task's chunks: text deltas, then one
 * finish chunk with the usage of `include_usage`. An error event becomes its typed error; a stream
 * that ends before `[DONE]` and before a finish_reason is a NetworkError (the answer is incomplete).
 */
export async function* chatCompletionStream(
  events: AsyncIterable<Pick<SseEvent, 'event' | 'data'>>,
  provider: string,
): AsyncGenerator<TextGenerationChunk> {
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
}
