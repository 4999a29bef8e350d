import type {
  Capabilities,
  FinishReason,
  TextGenerationChunk,
  TextGenerationInput,
  TextGenerationOutput,
  Usage,
} from '@mlkit/core';
import { errorBody, HttpError, toHttpError } from '../errors.ts';
import type { ChatCompletionRequest, ChatMessage } from './schemas.ts';

export const unsupported = (message: string, param: string) =>
  new HttpError(400, message, { code: 'unsupported_parameter', param });

type LogitAdjustmentFields = Pick<
  ChatCompletionRequest,
  'frequency_penalty' | 'presence_penalty' | 'logit_bias'
>;

/**
 * OpenAI's `frequency_penalty`, `presence_penalty` and `logit_bias` as the task's fields, or a 400
 * naming the parameter when the model does not declare `capabilities.logitAdjustments`.
 */
export function logitAdjustmentsOf(body: LogitAdjustmentFields, capabilities: Capabilities) {
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

/** `stop` as the task's list: a string is one stop, empty strings are dropped. */
export function stopsOf(stop: string | string[] | null | undefined): string[] | undefined {
  const stops = (typeof stop === 'string' ? [stop] : stop)?.filter((s) => s.length > 0);
  return stops?.length ? stops : undefined;
}

function contentOf(message: ChatMessage, index: number): string {
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

/** OpenAI's chat request as the text-generation task's input; refuses what the task cannot do. */
export function toGenerationInput(
  body: ChatCompletionRequest,
  capabilities: Capabilities,
): TextGenerationInput {
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
  const stops = stopsOf(body.stop);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  return {
    messages,
    ...(maxTokens != null && { maxTokens }),
    ...(body.temperature != null && { temperature: body.temperature }),
    ...(body.top_p != null && { topP: body.top_p }),
    ...(body.top_k != null && { topK: body.top_k }),
    ...(body.seed != null && { seed: body.seed }),
    ...(stops && { stop: stops }),
    ...logitAdjustmentsOf(body, capabilities),
  };
}

/** OpenAI's finish_reason for the task's. */
export function finishReasonOf(reason: FinishReason): 'stop' | 'length' | 'content_filter' {
  if (reason === 'length') return 'length';
  if (reason === 'content-filter') return 'content_filter';
  return 'stop';
}

export function usageOf(usage: Usage) {
  const prompt = usage.inputTokens ?? 0;
  const completion = usage.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.totalTokens ?? prompt + completion,
  };
}

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export function newCompletionMeta(model: string): CompletionMeta {
  return { id: `chatcmpl-${crypto.randomUUID()}`, created: Math.floor(Date.now() / 1000), model };
}

export function toChatCompletion(output: TextGenerationOutput, meta: CompletionMeta) {
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

/**
 * The task's stream as OpenAI's SSE payloads: a role chunk, content deltas, a chunk with the
 * finish_reason, the usage chunk (`choices: []`) when asked, then `[DONE]`. A failure mid-stream
 * is sent as an `{error}` event and the stream ends without `[DONE]`, so clients see it failed.
 */
export async function* chatCompletionChunks(
  chunks: AsyncIterable<TextGenerationChunk>,
  meta: CompletionMeta,
  includeUsage: boolean,
  onError: (error: HttpError) => void = () => {},
): AsyncGenerator<string> {
  const base = { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model };
  const extra = includeUsage ? { usage: null } : {};
  const event = (delta: Record<string, unknown>, finishReason: string | null) =>
    JSON.stringify({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...extra,
    });

  yield event({ role: 'assistant', content: '' }, null);
  let usage: Usage | undefined;
  let finished = false;
  try {
    for await (const chunk of chunks) {
      if (chunk.type === 'text-delta') {
        if (chunk.text) yield event({ content: chunk.text }, null);
      } else if (!finished) {
        finished = true;
        usage = chunk.usage;
        yield event({}, finishReasonOf(chunk.finishReason));
      }
    }
  } catch (error) {
    const httpError = toHttpError(error);
    onError(httpError);
    yield JSON.stringify(errorBody('openai', httpError));
    return;
  }
  if (!finished) yield event({}, 'stop');
  if (includeUsage) yield JSON.stringify({ ...base, choices: [], usage: usageOf(usage ?? {}) });
  yield '[DONE]';
}
