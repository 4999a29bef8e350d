// A deterministic text-generation model with tools and structured output, built with core's
// defineModel (so its tool calls and JSON answers go through Task.check like every real model's),
// for the server's tests of tools, response_format and images through the real clients.
import {
  type Capabilities,
  type ChatMessage,
  defineModel,
  type JsonSchema,
  type ParsedInputOf,
  type TextGenerationChunk,
  type TextGenerationTask,
  textGeneration,
  toJsonSchema,
} from '@mlkit/core';

type Input = ParsedInputOf<TextGenerationTask>;

const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** The text of a message's content: its string, or its text parts joined (images as `[image]`). */
function textOf(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string' || content === undefined) return content ?? '';
  return content.map((part) => (part.type === 'text' ? part.text : '[image]')).join(' ');
}

/** The last user turn's text (the prompt for `{ prompt }`). */
export function lastUserText(input: { messages?: ChatMessage[]; prompt?: string }): string {
  if (input.prompt !== undefined) return input.prompt;
  const last = input.messages?.filter((message) => message.role === 'user').at(-1);
  return last ? textOf(last) : '';
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let target: unknown = root;
  for (const key of ref.slice(2).split('/')) target = (target as JsonSchema | undefined)?.[key];
  return resolve((target as JsonSchema | undefined) ?? {}, root);
}

/**
 * A value that satisfies `schema`, built from it alone: every property filled (required or not),
 * strings set to `text` (an enum's first value, a const as it is), numbers to their minimum (or 1),
 * arrays to one item (or `minItems`), the first branch of an anyOf/oneOf.
 */
export function exampleOf(schema: JsonSchema, text: string, root: JsonSchema = schema): unknown {
  const node = resolve(schema, root);
  if ('const' in node) return node.const;
  if (Array.isArray(node.enum)) return node.enum[0];
  const branches = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
  if (branches?.length) return exampleOf(branches[0]!, text, root);
  if (Array.isArray(node.allOf) && node.allOf.length > 0) return exampleOf(node.allOf[0], text, root);
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
  switch (type) {
    case 'string': {
      const min = typeof node.minLength === 'number' ? node.minLength : 1;
      const max = typeof node.maxLength === 'number' ? node.maxLength : Number.POSITIVE_INFINITY;
      return (text || 'x').padEnd(min, 'x').slice(0, max);
    }
    case 'integer':
    case 'number':
      if (typeof node.minimum === 'number') return Math.ceil(node.minimum);
      if (typeof node.exclusiveMinimum === 'number') return Math.floor(node.exclusiveMinimum) + 1;
      if (typeof node.maximum === 'number' && node.maximum < 1) return Math.floor(node.maximum);
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const count = Math.max(1, typeof node.minItems === 'number' ? node.minItems : 1);
      const items = (node.items as JsonSchema | undefined) ?? {};
      return Array.from({ length: count }, () => exampleOf(items, text, root));
    }
    default: {
      const properties = (node.properties as Record<string, JsonSchema> | undefined) ?? {};
      return Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, exampleOf(property, text, root)]),
      );
    }
  }
}

/** A value of the wrong type for every schema that wants an object: what a broken model sends. */
const BROKEN = ['not', 'an', 'object'];

/** What the model does with an input: call a tool, write a JSON document, or answer in text. */
export function planOf(input: Input, options: { broken?: boolean } = {}) {
  const messages = 'messages' in input ? input.messages : undefined;
  const text = lastUserText(input);
  const tools = input.tools ?? [];
  const choice = input.toolChoice ?? 'auto';
  const answered = messages?.at(-1)?.role === 'tool';
  // A tool's result came back: answer with it, as a model that called a tool does next.
  if (answered && choice !== 'required' && typeof choice !== 'object') {
    const results = messages!.filter((message) => message.role === 'tool').map((message) => message.content);
    return { kind: 'text' as const, text: `The tool said: ${results.at(-1)}` };
  }
  if (tools.length > 0 && choice !== 'none') {
    const tool = typeof choice === 'object' ? tools.find((t) => t.name === choice.tool)! : tools[0]!;
    const args = options.broken ? BROKEN : exampleOf(toJsonSchema(tool.parameters), text);
    const id = `call_${tool.name}_${messages?.length ?? 1}`;
    return { kind: 'tool' as const, id, name: tool.name, arguments: JSON.stringify(args) };
  }
  const format = input.responseFormat;
  if (format?.type === 'json') {
    const value = options.broken
      ? BROKEN
      : format.schema
        ? exampleOf(toJsonSchema(format.schema), text)
        : { text };
    return { kind: 'json' as const, text: JSON.stringify(value) };
  }
  return { kind: 'text' as const, text: `You said: ${text}` };
}

/** `text` in `count` pieces of about equal length (fewer when it is shorter). */
function piecesOf(text: string, count = 3): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return pieces;
}

function usageOf(input: Input, outputTokens: number) {
  const promptText =
    'messages' in input ? input.messages.map((message) => textOf(message)).join(' ') : input.prompt;
  const inputTokens = words(promptText).length;
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/**
 * A text-generation model that calls the first allowed tool (or the one `toolChoice` names) with
 * arguments made from the tool's schema and the last user text, answers `responseFormat` json with a
 * document made from its schema, and otherwise says "You said: <last user text>". After a tool's
 * result it answers "The tool said: <result>". Streams tool-call-delta pieces, then tool-call, then
 * finish. `broken` makes it send arguments and documents that break their schema.
 */
export function toolModel(options: { broken?: boolean; capabilities?: Partial<Capabilities> } = {}) {
  const calls = { run: 0, stream: 0, inputs: [] as Input[] };
  const model = defineModel({
    id: options.broken ? 'fake:tools-broken' : 'fake:tools',
    task: textGeneration,
    capabilities: {
      streaming: true,
      batching: false,
      local: true,
      tools: true,
      jsonSchema: true,
      ...options.capabilities,
    },
    async run(input) {
      calls.run++;
      calls.inputs.push(input);
      const plan = planOf(input, options);
      if (plan.kind === 'tool') {
        return {
          text: '',
          toolCalls: [{ id: plan.id, name: plan.name, arguments: plan.arguments }],
          finishReason: 'tool-calls' as const,
          rawFinishReason: 'tool_calls',
          usage: usageOf(input, piecesOf(plan.arguments).length),
        };
      }
      return {
        text: plan.text,
        finishReason: 'stop' as const,
        usage: usageOf(input, piecesOf(plan.text).length),
      };
    },
    async *stream(input): AsyncGenerator<TextGenerationChunk> {
      calls.stream++;
      calls.inputs.push(input);
      const plan = planOf(input, options);
      if (plan.kind === 'tool') {
        const pieces = piecesOf(plan.arguments);
        const call = { index: 0, id: plan.id, name: plan.name };
        for (const argumentsDelta of pieces) yield { type: 'tool-call-delta', ...call, argumentsDelta };
        yield { type: 'tool-call', ...call, arguments: plan.arguments };
        yield {
          type: 'finish',
          finishReason: 'tool-calls',
          rawFinishReason: 'tool_calls',
          usage: usageOf(input, pieces.length),
        };
        return;
      }
      const pieces = piecesOf(plan.text);
      for (const text of pieces) yield { type: 'text-delta', text };
      yield { type: 'finish', finishReason: 'stop', usage: usageOf(input, pieces.length) };
    },
  });
  return { model, calls };
}
