import type { CallContext } from '../../define-model.ts';
import type { StreamRequestOptions } from '../../http/types.ts';
import type { FinishReason } from '../../tasks/text-generation.ts';
import type { Usage } from '../../tasks/usage.ts';
import type { WireUsage } from './schemas.ts';

/**
 * The per-call options a Model forwards to the transport. Only the options the caller set are
 * passed, so the transport's own defaults apply to the rest. Events go through `context.emit`,
 * which reaches both the model's and the call's listeners.
 */
export function callOptions(context: CallContext): Omit<StreamRequestOptions, 'path'> {
  const { options } = context;
  const out: Omit<StreamRequestOptions, 'path'> = { signal: context.signal, onEvent: context.emit };
  if (options.headers !== undefined) out.headers = options.headers;
  if (options.maxRetries !== undefined) out.maxRetries = options.maxRetries;
  if (options.firstChunkTimeoutMs !== undefined) out.firstChunkTimeoutMs = options.firstChunkTimeoutMs;
  if (options.idleTimeoutMs !== undefined) out.idleTimeoutMs = options.idleTimeoutMs;
  return out;
}

/** `frequency_penalty`, `presence_penalty` and `logit_bias` for the input's fields that are set. */
export function logitAdjustmentFields(input: {
  frequencyPenalty?: number | undefined;
  presencePenalty?: number | undefined;
  logitBias?: Record<number, number> | undefined;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (input.frequencyPenalty !== undefined) out.frequency_penalty = input.frequencyPenalty;
  if (input.presencePenalty !== undefined) out.presence_penalty = input.presencePenalty;
  if (input.logitBias !== undefined) out.logit_bias = input.logitBias;
  return out;
}

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
