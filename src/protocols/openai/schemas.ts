/**
 * The OpenAI wire shapes, as zod schemas, for both halves: the responses a client reads (only the
 * fields mlkit uses; unknown fields pass through unchecked so that servers adding fields — vLLM,
 * llama.cpp, Ollama, TGI — keep working; fields some servers send as `null` are nullish) and the
 * requests `@mlkit/server` reads (loose objects: fields it does not use — user, metadata, store —
 * are accepted and ignored, as OpenAI-compatible servers do).
 */
import * as z from 'zod/mini';

// --- Responses (what a client reads) -----------------------------------------------------------

const tokenCount = z.int().check(z.nonnegative());

/** `usage` of a chat completion or an embeddings response. */
export const WireUsage = z.object({
  prompt_tokens: z.nullish(tokenCount),
  completion_tokens: z.nullish(tokenCount),
  total_tokens: z.nullish(tokenCount),
});
export type WireUsage = z.infer<typeof WireUsage>;

/** Why generation stopped; servers add their own values (e.g. 'abort', 'eos'), so any string is read. */
const WireFinishReason = z.nullish(z.string());

/** A tool call of a chat completion's message; `arguments` is JSON text. */
const WireToolCall = z.object({
  id: z.string(),
  // xAI and some gateways leave `type` out; 'function' is the only kind chat completions sends.
  type: z.nullish(z.string()),
  function: z.object({ name: z.string(), arguments: z.nullish(z.string()) }),
});

/** POST chat/completions without `stream`. */
export const ChatCompletion = z.object({
  choices: z
    .array(
      z.object({
        index: z.optional(z.int()),
        message: z.object({
          // `null` when the model only called tools.
          content: z.nullish(z.string()),
          refusal: z.nullish(z.string()),
          tool_calls: z.nullish(z.array(WireToolCall)),
        }),
        finish_reason: WireFinishReason,
      }),
    )
    .check(z.minLength(1, 'a chat completion needs at least one choice')),
  usage: z.nullish(WireUsage),
});
export type ChatCompletion = z.infer<typeof ChatCompletion>;

/**
 * A piece of a streamed tool call: OpenAI sends `index`, `id` and `function.name` once, then
 * `function.arguments` in pieces; some servers send the whole call at once or leave `index` out.
 */
const WireToolCallDelta = z.object({
  index: z.nullish(z.int().check(z.nonnegative())),
  id: z.nullish(z.string()),
  type: z.nullish(z.string()),
  function: z.nullish(z.object({ name: z.nullish(z.string()), arguments: z.nullish(z.string()) })),
});
/** A piece of a streamed tool call (see the schema). */
export type WireToolCallDelta = z.infer<typeof WireToolCallDelta>;

/** One `data:` event of a streamed chat completion. `choices` is empty in the final usage chunk. */
export const ChatCompletionChunk = z.object({
  choices: z.array(
    z.object({
      index: z.optional(z.int()),
      delta: z.nullish(
        z.object({
          content: z.nullish(z.string()),
          refusal: z.nullish(z.string()),
          tool_calls: z.nullish(z.array(WireToolCallDelta)),
        }),
      ),
      finish_reason: WireFinishReason,
    }),
  ),
  usage: z.nullish(WireUsage),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;

/** POST embeddings. `embedding` is a base64 string of little-endian float32 when `encoding_format: 'base64'`. */
export const EmbeddingResponse = z.object({
  data: z.array(
    z.object({
      index: z.int().check(z.nonnegative()),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  usage: z.nullish(WireUsage),
});
export type EmbeddingResponse = z.infer<typeof EmbeddingResponse>;

/** GET models. */
export const ModelList = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      created: z.nullish(z.number()),
      owned_by: z.nullish(z.string()),
    }),
  ),
});
export type ModelList = z.infer<typeof ModelList>;

/**
 * An error sent inside a stream: OpenAI and vLLM send `{"error": {message, type, code}}`, some
 * servers `{"error": "text"}`, older vLLM `{"object": "error", "message": ...}`.
 */
export const StreamErrorBody = z.union([
  z.object({
    error: z.union([
      z.string(),
      z.object({
        message: z.nullish(z.string()),
        type: z.nullish(z.string()),
        code: z.nullish(z.union([z.string(), z.number()])),
      }),
    ]),
  }),
  z.object({ object: z.literal('error'), message: z.nullish(z.string()), code: z.nullish(z.number()) }),
]);
export type StreamErrorBody = z.infer<typeof StreamErrorBody>;

// --- Requests (what the server reads) ----------------------------------------------------------

/** A content part of a chat message or a Responses input item; only text parts are served. */
const ContentPart = z.looseObject({ type: z.string(), text: z.optional(z.string()) });

/**
 * A content part of a chat message: `{type: 'text', text}`, `{type: 'image_url', image_url: {url}}`,
 * or another kind (input_audio, file, ...) that the server refuses by name.
 */
export const ChatContentPart = z
  .looseObject({
    type: z.string(),
    text: z.optional(z.string()),
    // Some clients send the URL itself as `image_url`.
    image_url: z.optional(
      z.union([
        z.string().check(z.minLength(1)),
        z.looseObject({ url: z.string().check(z.minLength(1)), detail: z.nullish(z.string()) }),
      ]),
    ),
  })
  .check(
    z.superRefine((part, context) => {
      if (part.type === 'text' && part.text === undefined) {
        context.addIssue({ code: 'custom', path: ['text'], message: 'a text part needs `text` (a string)' });
      } else if (part.type === 'image_url' && part.image_url === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['image_url'],
          message: 'an image_url part needs `image_url: {url}` (an http(s): or data: URL)',
        });
      }
    }),
  );
/** A content part of a chat message (see the schema). */
export type ChatContentPart = z.infer<typeof ChatContentPart>;

/** A tool call an assistant message made; `arguments` is JSON text. */
const ChatMessageToolCall = z.looseObject({
  id: z.string().check(z.minLength(1)),
  type: z.optional(z.string()),
  function: z.looseObject({ name: z.string().check(z.minLength(1)), arguments: z.string() }),
});

/**
 * One message of a chat request: OpenAI's roles (`function`, the legacy one, is refused by the
 * server), text or parts, an assistant's `tool_calls` and a tool message's `tool_call_id`.
 */
export const ChatMessage = z
  .looseObject({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.optional(z.union([z.string(), z.array(ChatContentPart), z.null()])),
    tool_calls: z.nullish(z.array(ChatMessageToolCall)),
    tool_call_id: z.nullish(z.string()),
  })
  .check(
    z.superRefine((message, context) => {
      if (message.role === 'tool' && !message.tool_call_id) {
        context.addIssue({
          code: 'custom',
          path: ['tool_call_id'],
          message: 'a tool message needs `tool_call_id`: the id of the tool call it answers',
        });
      }
    }),
  );
/** One message of a chat request (see the schema). */
export type ChatMessage = z.infer<typeof ChatMessage>;

/** OpenAI's `frequency_penalty`, `presence_penalty` and `logit_bias` (token id -> bias), shared by chat and completions. */
const logitAdjustments = {
  frequency_penalty: z.nullish(z.number().check(z.gte(-2), z.lte(2))),
  presence_penalty: z.nullish(z.number().check(z.gte(-2), z.lte(2))),
  logit_bias: z.nullish(
    z.record(
      z.string().check(z.regex(/^\d+$/, 'keys are token ids (non-negative integers)')),
      z.number().check(z.gte(-100), z.lte(100)),
    ),
  ),
};

/** Sampling and streaming fields shared by chat completions and completions. */
const sampling = {
  max_tokens: z.nullish(z.int().check(z.positive())),
  temperature: z.nullish(z.number().check(z.gte(0), z.lte(2))),
  top_p: z.nullish(z.number().check(z.gt(0), z.lte(1))),
  /** Not in OpenAI's API; vLLM, llama.cpp and Ollama accept it. */
  top_k: z.nullish(z.int().check(z.positive())),
  stop: z.nullish(z.union([z.string(), z.array(z.string()).check(z.maxLength(16))])),
  seed: z.nullish(z.int()),
  n: z.nullish(z.int().check(z.positive())),
  stream: z.nullish(z.boolean()),
  stream_options: z.nullish(z.looseObject({ include_usage: z.nullish(z.boolean()) })),
  ...logitAdjustments,
};

/** A tool a chat request offers: `{type: 'function', function: {name, description?, parameters?, strict?}}`. */
const ChatTool = z
  .looseObject({
    type: z.string(),
    function: z.optional(
      z.looseObject({
        name: z.string().check(z.minLength(1)),
        description: z.nullish(z.string()),
        parameters: z.nullish(z.record(z.string(), z.unknown())),
        strict: z.nullish(z.boolean()),
      }),
    ),
  })
  .check(
    z.superRefine((tool, context) => {
      if (tool.type === 'function' && tool.function === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['function'],
          message: 'a function tool needs `function: {name, parameters}`',
        });
      }
    }),
  );

/** `response_format`: `text`, `json_object`, or `json_schema` with `json_schema: {name, schema, strict}`. */
const ChatResponseFormat = z
  .looseObject({
    type: z.string(),
    json_schema: z.optional(
      z.looseObject({
        name: z.optional(z.string().check(z.minLength(1))),
        description: z.nullish(z.string()),
        schema: z.nullish(z.record(z.string(), z.unknown())),
        strict: z.nullish(z.boolean()),
      }),
    ),
  })
  .check(
    z.superRefine((format, context) => {
      if (format.type === 'json_schema' && format.json_schema === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['json_schema'],
          message: 'response_format json_schema needs `json_schema: {name, schema}`',
        });
      }
    }),
  );

/** POST chat/completions: the fields a text model can honour plus those it must refuse. */
export const ChatCompletionRequest = z.looseObject({
  model: z.string().check(z.minLength(1)),
  messages: z.array(ChatMessage).check(z.minLength(1)),
  ...sampling,
  max_completion_tokens: z.nullish(z.int().check(z.positive())),
  tools: z.nullish(z.array(ChatTool)),
  tool_choice: z.nullish(
    z.union([
      z.enum(['auto', 'none', 'required']),
      z.looseObject({
        type: z.string(),
        function: z.optional(z.looseObject({ name: z.string().check(z.minLength(1)) })),
      }),
    ]),
  ),
  parallel_tool_calls: z.nullish(z.boolean()),
  functions: z.nullish(z.array(z.unknown())),
  function_call: z.optional(z.unknown()),
  logprobs: z.nullish(z.boolean()),
  response_format: z.nullish(ChatResponseFormat),
});
/** A chat completions request (see the schema). */
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

const tokenIds = z.array(z.int().check(z.nonnegative())).check(z.minLength(1));

/** POST embeddings: texts or token ids, with the encoding and dimensions asked for. */
export const EmbeddingsRequest = z.looseObject({
  model: z.string().check(z.minLength(1)),
  /** Texts, or token ids (one array, or one array per input) as OpenAI's API allows. */
  input: z.union([
    z.string(),
    z.array(z.string()).check(z.minLength(1)),
    tokenIds,
    z.array(tokenIds).check(z.minLength(1)),
  ]),
  encoding_format: z.nullish(z.enum(['float', 'base64'])),
  dimensions: z.nullish(z.int().check(z.positive())),
});
/** An embeddings request (see the schema). */
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

/** POST /v1/completions (OpenAI's legacy text completions). */
export const CompletionRequest = z.looseObject({
  model: z.string().check(z.minLength(1)),
  prompt: z.union([
    z.string(),
    z.array(z.string()).check(z.minLength(1)),
    tokenIds,
    z.array(tokenIds).check(z.minLength(1)),
  ]),
  ...sampling,
  best_of: z.nullish(z.int().check(z.positive())),
  echo: z.nullish(z.boolean()),
  suffix: z.nullish(z.string()),
  logprobs: z.nullish(z.int().check(z.nonnegative())),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

/**
 * One item of a Responses `input` array, read loosely: a message (`type` 'message' or none), a
 * function_call or a function_call_output; each kind's own fields are checked by its schema
 * below, and other item types are refused by name.
 */
const ResponseInputItem = z.looseObject({
  type: z.optional(z.string()),
  role: z.optional(z.string()),
  content: z.optional(z.union([z.string(), z.array(ContentPart)])),
});
/** One item of a Responses `input` array (see the schema). */
export type ResponseInputItem = z.infer<typeof ResponseInputItem>;

/** An `input_image` part of a Responses message: an http(s) or data: URL (`file_id` is refused: no files are stored). */
export const ResponseInputImagePart = z.looseObject({
  type: z.literal('input_image'),
  image_url: z.nullish(
    z
      .string()
      .check(
        z.regex(
          /^(https?|data):/i,
          'expected an http(s): URL or a data: URL such as "data:image/png;base64,..."',
        ),
      ),
  ),
  file_id: z.nullish(z.string()),
  detail: z.nullish(z.string()),
});
/** An `input_image` part (see the schema). */
export type ResponseInputImagePart = z.infer<typeof ResponseInputImagePart>;

/** A `function_call` input item: a call an earlier response made, replayed (`arguments` is JSON text). */
export const ResponseFunctionCallItem = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  arguments: z.string(),
});
/** A `function_call` input item (see the schema). */
export type ResponseFunctionCallItem = z.infer<typeof ResponseFunctionCallItem>;

/** A `function_call_output` input item: the result of the call `call_id`, as text or input_text parts. */
export const ResponseFunctionCallOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().check(z.minLength(1)),
  output: z.union([z.string(), z.array(ContentPart)]),
});
/** A `function_call_output` input item (see the schema). */
export type ResponseFunctionCallOutputItem = z.infer<typeof ResponseFunctionCallOutputItem>;

/** A `function` tool of a Responses request (flat: name and parameters beside `type`). */
export const ResponseFunctionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, _ or -')),
  description: z.nullish(z.string()),
  parameters: z.nullish(z.record(z.string(), z.unknown())),
  strict: z.nullish(z.boolean()),
});
/** A `function` tool of a Responses request (see the schema). */
export type ResponseFunctionTool = z.infer<typeof ResponseFunctionTool>;

/** `tool_choice` of a Responses request: a mode or a `{type, ...}` object (only `function` is served). */
export const ResponseToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.looseObject({ type: z.string() }),
]);
/** `tool_choice` of a Responses request (see the schema). */
export type ResponseToolChoice = z.infer<typeof ResponseToolChoice>;

/** `tool_choice` `{type: 'function', name}`: the model must call that tool. */
export const ResponseFunctionToolChoice = z.looseObject({
  type: z.literal('function'),
  name: z.string().check(z.minLength(1)),
});
/** `tool_choice` `{type: 'function', name}` (see the schema). */
export type ResponseFunctionToolChoice = z.infer<typeof ResponseFunctionToolChoice>;

/** `text.format` `json_schema` of a Responses request: the answer's schema and its name. */
export const ResponseJsonSchemaFormat = z.looseObject({
  type: z.literal('json_schema'),
  name: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'names are 1-64 letters, digits, _ or -')),
  schema: z.record(z.string(), z.unknown()),
  description: z.nullish(z.string()),
  strict: z.nullish(z.boolean()),
});
/** `text.format` `json_schema` (see the schema). */
export type ResponseJsonSchemaFormat = z.infer<typeof ResponseJsonSchemaFormat>;

/** POST /v1/responses (the Responses API): the fields the server honours (tools, text.format, images where the model can) plus those it must refuse. */
export const ResponsesRequest = z.looseObject({
  model: z.string().check(z.minLength(1)),
  input: z.union([z.string(), z.array(ResponseInputItem).check(z.minLength(1))]),
  instructions: z.nullish(z.string()),
  max_output_tokens: z.nullish(z.int().check(z.positive())),
  temperature: z.nullish(z.number().check(z.gte(0), z.lte(2))),
  top_p: z.nullish(z.number().check(z.gt(0), z.lte(1))),
  stream: z.nullish(z.boolean()),
  /** Each tool's own fields are checked by its type's schema (ResponseFunctionTool). */
  tools: z.nullish(z.array(z.looseObject({ type: z.string() }))),
  tool_choice: z.nullish(ResponseToolChoice),
  parallel_tool_calls: z.nullish(z.boolean()),
  text: z.nullish(z.looseObject({ format: z.nullish(z.looseObject({ type: z.string() })) })),
  previous_response_id: z.nullish(z.string()),
  conversation: z.optional(z.unknown()),
  prompt: z.optional(z.unknown()),
  reasoning: z.optional(z.unknown()),
  background: z.nullish(z.boolean()),
  include: z.nullish(z.array(z.string())),
  store: z.nullish(z.boolean()),
  top_logprobs: z.nullish(z.int()),
  max_tool_calls: z.nullish(z.int()),
  metadata: z.nullish(z.record(z.string(), z.string())),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;
