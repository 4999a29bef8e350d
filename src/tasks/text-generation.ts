import * as z from 'zod/mini';
import { type SchemaLike, SchemaLike as SchemaLikeSchema } from './json-schema.ts';
import { defineTask, type ParsedInputOf, type Task } from './task.ts';
import { Usage } from './usage.ts';

// --- Messages -----------------------------------------------------------------------------------

/** Schema of a text part of a message. */
export const TextPart = z.strictObject({ type: z.literal('text'), text: z.string() });
/** A text part of a message: `{ type: 'text', text }`. */
export type TextPart = z.infer<typeof TextPart>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Schema of an image part: a URL (http(s) or data:), bytes, or base64 text with its mediaType. */
export const ImagePart = z
  .strictObject({
    type: z.literal('image'),
    /** An `https:`/`http:`/`data:` URL (string or URL), the image's bytes, or its base64 text. */
    image: z.union([
      z.string().check(z.minLength(1)),
      z.instanceof(URL),
      z.instanceof(Uint8Array),
      z.instanceof(ArrayBuffer),
    ]),
    /** The image's type, e.g. 'image/png'; needed for bytes and base64 text (a data: URL has its own). */
    mediaType: z.optional(
      z.string().check(z.regex(/^image\/[\w.+-]+$/, 'expected an image media type such as "image/png"')),
    ),
  })
  .check(
    z.superRefine((part, context) => {
      const image = part.image;
      if (image instanceof URL && !/^(https?|data):$/.test(image.protocol)) {
        context.addIssue({
          code: 'custom',
          path: ['image'],
          message: `expected an http(s): or data: URL (got a ${image.protocol} URL)`,
        });
        return;
      }
      const isUrl = image instanceof URL || (typeof image === 'string' && /^(https?|data):/i.test(image));
      if (typeof image === 'string' && !isUrl && !BASE64.test(image)) {
        context.addIssue({
          code: 'custom',
          path: ['image'],
          message: 'expected an http(s): or data: URL, or base64 text',
        });
      } else if (!isUrl && part.mediaType === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['mediaType'],
          message: 'image bytes and base64 text need a mediaType such as "image/png"',
        });
      }
    }),
  );
/** An image part of a user message: `{ type: 'image', image, mediaType? }`. */
export type ImagePart = z.infer<typeof ImagePart>;

/** Schema of a tool call: the id the model gave it, the tool's name, and its arguments. */
export const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  /**
   * The arguments, parsed JSON checked against the tool's `parameters`. An implementation may hand
   * the raw JSON text (a string); every model parses and validates it before the caller sees it.
   */
  arguments: z.unknown(),
});
/** A tool call: `{ id, name, arguments }` (arguments parsed and validated against the tool's schema). */
export type ToolCall = z.infer<typeof ToolCall>;

/** Schema of one turn of a conversation. */
export const ChatMessage = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.string() }),
  z.strictObject({
    role: z.literal('user'),
    content: z.union([z.string(), z.array(z.union([TextPart, ImagePart])).check(z.minLength(1))]),
  }),
  z.strictObject({
    role: z.literal('assistant'),
    content: z._default(z.string(), ''),
    /** The tools this turn called; the next messages answer them with `role: 'tool'`. */
    toolCalls: z.optional(z.array(ToolCall).check(z.minLength(1))),
  }),
  z.strictObject({
    role: z.literal('tool'),
    /** The `id` of the tool call this answers. */
    toolCallId: z.string().check(z.minLength(1)),
    /** The tool's result as text (JSON.stringify an object). */
    content: z.string(),
  }),
]);
/**
 * One turn of a conversation: `system` (text), `user` (text, or text and image parts), `assistant`
 * (text, and the `toolCalls` it made) or `tool` (the result of the call `toolCallId`).
 */
export type ChatMessage = z.input<typeof ChatMessage>;

// --- Tools and structured output ----------------------------------------------------------------

/** Schema of a tool the model may call. */
export const Tool = z.strictObject({
  /** What the model calls it: letters, digits, `_` and `-`, at most 64 (OpenAI's rule). */
  name: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, _ or -')),
  /** What it does and when to call it; models read this. */
  description: z.optional(z.string()),
  /** Its arguments: a JSON Schema object or a zod schema (an object with no properties when left out). */
  parameters: z._default(SchemaLikeSchema, () => ({
    type: 'object',
    properties: {},
    additionalProperties: false,
  })),
});
/** A tool the model may call: `{ name, description?, parameters }` (JSON Schema or zod). */
export type Tool = z.input<typeof Tool>;

/** Schema of which tools the model may or must call. */
export const ToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.strictObject({ tool: z.string() }),
]);
/** `'auto'` (the model decides), `'none'`, `'required'` (some tool), or `{ tool: name }` (that one). */
export type ToolChoice = z.infer<typeof ToolChoice>;

/** Schema of the form the answer takes. */
export const ResponseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({
    type: z.literal('json'),
    /** The document's schema (JSON Schema or zod); without one, any JSON object. */
    schema: z.optional(SchemaLikeSchema),
    /** The schema's name, as hosted APIs want one (default 'response'). */
    name: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'names are 1-64 letters, digits, _ or -')),
    ),
    description: z.optional(z.string()),
  }),
]);
/**
 * `{ type: 'text' }` (the default) or `{ type: 'json', schema?, name? }`: the answer is a JSON
 * document matching `schema`, enforced by the provider's strict mode hosted and by constrained
 * decoding locally, and checked before it is returned as `object`.
 */
export type ResponseFormat = z.input<typeof ResponseFormat>;

const generation = {
  /** Most tokens to generate. */
  maxTokens: z.optional(z.int().check(z.positive())),
  /** 0 = greedy. */
  temperature: z.optional(z.number().check(z.gte(0), z.lte(2))),
  topP: z.optional(z.number().check(z.gt(0), z.lte(1))),
  topK: z.optional(z.int().check(z.positive())),
  /** Generation stops before any of these strings; they are not part of the text. */
  stop: z.optional(
    z.union([
      z.string().check(z.minLength(1)),
      z.array(z.string().check(z.minLength(1))).check(z.maxLength(16)),
    ]),
  ),
  /** Same seed, same input, same model: same output (where the backend supports seeds). */
  seed: z.optional(z.int()),
  /** Lowers a token's logit by this much per time it was generated already (OpenAI's frequency_penalty). */
  frequencyPenalty: z.optional(z.number().check(z.gte(-2), z.lte(2))),
  /** Lowers a token's logit by this much once it was generated at all (OpenAI's presence_penalty). */
  presencePenalty: z.optional(z.number().check(z.gte(-2), z.lte(2))),
  /** Added to the logit of each token id; -100 bans a token, 100 all but forces it (OpenAI's logit_bias). */
  logitBias: z.optional(
    z.record(z.coerce.number().check(z.int(), z.nonnegative()), z.number().check(z.gte(-100), z.lte(100))),
  ),
  /** Tools the model may call; their calls come back as `toolCalls`. */
  tools: z.optional(z.array(Tool)),
  /** Which tools the model may or must call (default 'auto' when there are tools). */
  toolChoice: z.optional(ToolChoice),
  /** Whether the model may call several tools in one turn (default: the model's own default, usually yes). */
  parallelToolCalls: z.optional(z.boolean()),
  /** The form of the answer: text (default) or a JSON document matching a schema. */
  responseFormat: z.optional(ResponseFormat),
};

type GenerationFields = {
  tools?: { name: string }[] | undefined;
  toolChoice?: ToolChoice | undefined;
};

/** Tool names are unique, and a tool choice names a tool that exists. */
function checkTools(input: GenerationFields, context: z.core.$RefinementCtx): void {
  const names = new Set<string>();
  for (const [index, tool] of (input.tools ?? []).entries()) {
    if (names.has(tool.name)) {
      context.addIssue({
        code: 'custom',
        path: ['tools', index, 'name'],
        message: `"${tool.name}" is defined twice`,
      });
    }
    names.add(tool.name);
  }
  const choice = input.toolChoice;
  if (choice !== undefined && choice !== 'none' && names.size === 0) {
    context.addIssue({
      code: 'custom',
      path: ['toolChoice'],
      message: 'there are no tools to choose from; pass tools',
    });
  } else if (typeof choice === 'object' && !names.has(choice.tool)) {
    context.addIssue({
      code: 'custom',
      path: ['toolChoice', 'tool'],
      message: `no tool is named "${choice.tool}" (tools: ${[...names].join(', ')})`,
    });
  }
}

/** Schema of a text-generation call: `{ messages }` or `{ prompt }`, with sampling, tools and response format. */
export const TextGenerationInput = z
  .union([
    z.strictObject({ messages: z.array(ChatMessage).check(z.minLength(1)), ...generation }),
    z.strictObject({ prompt: z.string(), ...generation }),
  ])
  .check(z.superRefine(checkTools));
/** What a text-generation call takes: `{ messages }` or `{ prompt }` (one user turn), with sampling, tools and response format. */
export type TextGenerationInput = z.input<typeof TextGenerationInput>;

// --- Output -------------------------------------------------------------------------------------

/** Schema of why generation ended. */
export const FinishReason = z.enum(['stop', 'length', 'tool-calls', 'content-filter', 'error', 'other']);
/** Why generation ended: `'stop'` (end or stop sequence), `'length'` (`maxTokens`), `'tool-calls'`, ... */
export type FinishReason = z.infer<typeof FinishReason>;

/** Schema of a text-generation result. */
export const TextGenerationOutput = z.object({
  text: z.string(),
  /** The tools the model called, in order (present only when it called some). */
  toolCalls: z.optional(z.array(ToolCall)),
  /** With `responseFormat` json: the answer parsed and checked against the schema. */
  object: z.optional(z.unknown()),
  /** A hosted model's refusal to answer (OpenAI's `refusal`), instead of text. */
  refusal: z.optional(z.string()),
  finishReason: FinishReason,
  /** The provider's own finish reason (e.g. 'tool_calls', 'eos'), where it gave one. */
  rawFinishReason: z.optional(z.string()),
  usage: Usage,
});
/** A text-generation result: the text, tool calls, the parsed `object` (json), why it ended, and usage. */
export type TextGenerationOutput = z.infer<typeof TextGenerationOutput>;

/** Schema of one streamed text-generation chunk. */
export const TextGenerationChunk = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text-delta'), text: z.string() }),
  /** A piece of tool call `index`'s arguments as the model writes them (JSON text). */
  z.object({
    type: z.literal('tool-call-delta'),
    index: z.int().check(z.nonnegative()),
    id: z.string(),
    name: z.string(),
    argumentsDelta: z.string(),
  }),
  /** Tool call `index` complete: its arguments parsed and validated. */
  z.object({
    type: z.literal('tool-call'),
    index: z.int().check(z.nonnegative()),
    id: z.string(),
    name: z.string(),
    arguments: z.unknown(),
  }),
  z.object({
    type: z.literal('finish'),
    finishReason: FinishReason,
    rawFinishReason: z.optional(z.string()),
    /** With `responseFormat` json: the whole answer parsed and checked against the schema. */
    object: z.optional(z.unknown()),
    refusal: z.optional(z.string()),
    usage: Usage,
  }),
]);
/**
 * One streamed chunk: `text-delta`s, `tool-call-delta`s and a `tool-call` per completed call (in
 * order), then one `finish` with the finish reason, usage, and the parsed `object` for json.
 */
export type TextGenerationChunk = z.infer<typeof TextGenerationChunk>;

// --- Checks of the output against the input -----------------------------------------------------

type ParsedInput = ParsedInputOf<TextGenerationTask>;

/**
 * Whether a call has anything to check: tools (and their calls' arguments) or a json answer, the same
 * test as text-generation-check.ts's own. Only then is that module (in lazy.ts) loaded, with the JSON Schema
 * validator, so that a plain chat call's browser bundle carries neither.
 */
function hasChecks(input: ParsedInput): boolean {
  return (input.tools !== undefined && input.tools.length > 0) || input.responseFormat?.type === 'json';
}

const loadChecks = () => import('../lazy.ts');

async function* checkedStream(
  input: ParsedInput,
  chunks: AsyncIterable<TextGenerationChunk>,
): AsyncIterable<TextGenerationChunk> {
  const { checkTextGenerationStream } = await loadChecks();
  yield* checkTextGenerationStream(input, chunks);
}

/** Chat or prompt in, text (or tool calls, or a JSON object) out; streams deltas, then one finish chunk. */
export const textGeneration: TextGenerationTask = defineTask({
  name: 'text-generation',
  input: TextGenerationInput,
  output: TextGenerationOutput,
  chunk: TextGenerationChunk,
  check: {
    // Tool calls are checked even without tools: a call of a tool that was never given is an error.
    output: (input, output) =>
      hasChecks(input) || output.toolCalls?.length
        ? loadChecks().then((checks) => checks.checkTextGeneration(input, output))
        : output,
    stream: (input, chunks) => (hasChecks(input) ? checkedStream(input, chunks) : chunks),
  },
});
/** The text-generation task's type; an interface so that hovers say `Model<TextGenerationTask>`. */
export interface TextGenerationTask
  extends Task<
    'text-generation',
    typeof TextGenerationInput,
    typeof TextGenerationOutput,
    typeof TextGenerationChunk
  > {}

export type { SchemaLike };
