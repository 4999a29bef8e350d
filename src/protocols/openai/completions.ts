/**
 * Text generation over OpenAI's legacy completions (`/v1/completions`), the server's half: one
 * task input per prompt (raw continuation of the prompt text, no chat template), and the outputs
 * or streams as `text_completion` bodies and SSE payloads. (mlkit's client speaks chat completions.)
 */
import type { Capabilities } from '../../model.ts';
import type {
  TextGenerationChunk,
  TextGenerationInput,
  TextGenerationOutput,
} from '../../tasks/text-generation.ts';
import type { Usage } from '../../tasks/usage.ts';
import { type CompletionMeta, chunkWriter, finishReasonOf, samplingOf, usageOf } from './chat.ts';
import { errorBody, unsupported, type WireFailure } from './errors.ts';
import type { CompletionRequest } from './schemas.ts';

/** OpenAI's documented default for `max_tokens` of /v1/completions (vLLM and llama.cpp follow it). */
const DEFAULT_MAX_TOKENS = 16;

/** The prompts of a completions request; token-id prompts are refused (the task takes text). */
function promptsOf(prompt: CompletionRequest['prompt']): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (prompt.every((item): item is string => typeof item === 'string')) return prompt;
  throw unsupported('prompt as token ids is not supported; send the prompt as text', 'prompt');
}

/**
 * OpenAI's completions request as one text-generation input per prompt (raw continuation of the
 * prompt text, no chat template); refuses what the task cannot do.
 */
export function toCompletionInputs(
  body: CompletionRequest,
  capabilities: Pick<Capabilities, 'logitAdjustments'>,
): TextGenerationInput[] {
  if (body.n != null && body.n > 1)
    throw unsupported('n > 1 is not supported; send one request per completion', 'n');
  if (body.best_of != null && body.best_of > 1) throw unsupported('best_of > 1 is not supported', 'best_of');
  if (body.echo) throw unsupported('echo is not supported; prepend the prompt yourself', 'echo');
  if (body.suffix) throw unsupported('suffix (insertion) is not supported', 'suffix');
  if (body.logprobs != null) throw unsupported('logprobs are not supported by this server', 'logprobs');
  const sampling = { maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS, ...samplingOf(body, capabilities) };
  return promptsOf(body.prompt).map((prompt) => ({ prompt, ...sampling }));
}

/** A new text completion's `id` (`cmpl-…`) and `created` (now, Unix seconds) for `model`. */
export function newTextCompletionMeta(model: string): CompletionMeta {
  return { id: `cmpl-${crypto.randomUUID()}`, created: Math.floor(Date.now() / 1000), model };
}

function sumUsage(usages: Usage[]): Usage {
  const total = { inputTokens: 0, outputTokens: 0 };
  for (const usage of usages) {
    total.inputTokens += usage.inputTokens ?? 0;
    total.outputTokens += usage.outputTokens ?? 0;
  }
  return { ...total, totalTokens: total.inputTokens + total.outputTokens };
}

/** One `text_completion` with a choice per prompt, in prompt order. */
export function toTextCompletion(outputs: TextGenerationOutput[], meta: CompletionMeta) {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: outputs.map((output, index) => ({
      index,
      text: output.text,
      logprobs: null,
      finish_reason: finishReasonOf(output.finishReason),
    })),
    usage: usageOf(sumUsage(outputs.map((output) => output.usage))),
  };
}

/**
 * The prompts' streams, one after the other, as OpenAI's `text_completion` SSE payloads: text
 * deltas, a chunk with the finish_reason per choice, the usage chunk (`choices: []`) when asked,
 * then `[DONE]`. A failure mid-stream is an `{error}` event (`failureOf` gives its status and code)
 * and the stream ends without `[DONE]`.
 */
export async function* textCompletionChunks(
  streams: (() => Promise<AsyncIterable<TextGenerationChunk>>)[],
  meta: CompletionMeta,
  includeUsage: boolean,
  failureOf: (error: unknown) => WireFailure,
): AsyncGenerator<string> {
  const write = chunkWriter('text_completion', meta, includeUsage);
  const event = (index: number, text: string, finishReason: string | null) =>
    write.choice({ index, text, logprobs: null, finish_reason: finishReason });
  const usages: Usage[] = [];
  try {
    for (const [index, open] of streams.entries()) {
      let finished = false;
      for await (const chunk of await open()) {
        if (chunk.type === 'text-delta') {
          if (chunk.text) yield event(index, chunk.text, null);
        } else if (chunk.type === 'finish' && !finished) {
          finished = true;
          usages.push(chunk.usage);
          yield event(index, '', finishReasonOf(chunk.finishReason));
        }
      }
      if (!finished) yield event(index, '', 'stop');
    }
  } catch (error) {
    yield JSON.stringify(errorBody(failureOf(error)));
    return;
  }
  if (includeUsage) yield write.usage(sumUsage(usages));
  yield '[DONE]';
}
