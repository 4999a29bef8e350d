import { z } from 'zod';

// Request shapes as OpenAI documents them. Objects are loose: fields this server does not use
// (user, metadata, store, ...) are accepted and ignored, as OpenAI-compatible servers do.

const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

export const ChatMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** OpenAI's `frequency_penalty`, `presence_penalty` and `logit_bias` (token id -> bias), shared by chat and completions. */
const logitAdjustments = {
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z
    .record(
      z.string().regex(/^\d+$/, 'keys are token ids (non-negative integers)'),
      z.number().min(-100).max(100),
    )
    .nullish(),
};

const stop = z.union([z.string(), z.array(z.string()).max(16)]).nullish();
const streamOptions = z.looseObject({ include_usage: z.boolean().nullish() }).nullish();

export const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  /** Not in OpenAI's API; vLLM, llama.cpp and Ollama accept it. */
  top_k: z.number().int().positive().nullish(),
  stop,
  seed: z.number().int().nullish(),
  n: z.number().int().positive().nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  ...logitAdjustments,
  tools: z.array(z.unknown()).nullish(),
  functions: z.array(z.unknown()).nullish(),
  logprobs: z.boolean().nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

const tokenIds = z.array(z.number().int().nonnegative()).min(1);

export const EmbeddingsRequest = z.looseObject({
  model: z.string().min(1),
  /** Texts, or token ids (one array, or one array per input) as OpenAI's API allows. */
  input: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().positive().nullish(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

/** POST /v1/completions (OpenAI's legacy text completions). */
export const CompletionRequest = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]),
  max_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().positive().nullish(),
  stop,
  seed: z.number().int().nullish(),
  n: z.number().int().positive().nullish(),
  best_of: z.number().int().positive().nullish(),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
  logprobs: z.number().int().nonnegative().nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  ...logitAdjustments,
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

const InputPart = z.looseObject({ type: z.string(), text: z.string().optional() });

/** One item of a Responses `input` array; only messages are served, other item types are refused by name. */
const ResponseInputItem = z.looseObject({
  type: z.string().optional(),
  role: z.string().optional(),
  content: z.union([z.string(), z.array(InputPart)]).optional(),
});
export type ResponseInputItem = z.infer<typeof ResponseInputItem>;

/** POST /v1/responses (the Responses API), the fields a text model can honour plus those it must refuse. */
export const ResponsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(ResponseInputItem).min(1)]),
  instructions: z.string().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(z.unknown()).nullish(),
  tool_choice: z.unknown().optional(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }).nullish() }).nullish(),
  previous_response_id: z.string().nullish(),
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
  reasoning: z.unknown().optional(),
  background: z.boolean().nullish(),
  include: z.array(z.string()).nullish(),
  store: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
  max_tool_calls: z.number().int().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;
