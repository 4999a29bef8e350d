// A deterministic text-generation model with tools, structured output and (when asked) images, built
// with core's defineModel (so its tool calls and JSON answers go through Task.check like every real
// model's): for the suite's own tests and for the server's tests of tools, response_format/text.format
// and images through the real clients.
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
  UnsupportedError,
} from '../../src/index.ts';

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
 * strings set to `text` (an enum's first value, a const as it is), numbers to 1 (or the bound near it),
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
      // 1, or the nearest whole number inside the bounds (zod's int() bounds are the safe integers).
      if (typeof node.minimum === 'number' && node.minimum > 1) return Math.ceil(node.minimum);
      if (typeof node.exclusiveMinimum === 'number' && node.exclusiveMinimum >= 1) {
        return Math.floor(node.exclusiveMinimum) + 1;
      }
      if (typeof node.maximum === 'number' && node.maximum < 1) return Math.floor(node.maximum);
      if (typeof node.exclusiveMaximum === 'number' && node.exclusiveMaximum <= 1) {
        return Math.ceil(node.exclusiveMaximum) - 1;
      }
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

/** How the model behaves; see {@link toolModel}. */
export interface ToolModelOptions {
  /** Send tool arguments and json documents that break their schema. */
  broken?: boolean;
  /** Call every allowed tool at once (one when the input's `parallelToolCalls` is false). */
  parallel?: boolean;
  /** Over the defaults: streaming, tools and jsonSchema true; batching and images false. */
  capabilities?: Partial<Capabilities>;
}

type ToolCall = { id: string; name: string; arguments: string };
type Plan =
  | { kind: 'tools'; calls: ToolCall[] }
  | { kind: 'text'; text: string }
  | { kind: 'refusal'; refusal: string };

/** What the model does with an input: call tools, write a JSON document, refuse, or answer in text. */
export function planOf(input: Input, options: ToolModelOptions = {}): Plan {
  const messages = 'messages' in input ? input.messages : undefined;
  const text = lastUserText(input);
  const tools = input.tools ?? [];
  const choice = input.toolChoice ?? 'auto';
  const answered = messages?.at(-1)?.role === 'tool';
  // A tool's result came back: answer with it, as a model that called a tool does next.
  if (answered && choice !== 'required' && typeof choice !== 'object') {
    const results = messages!.filter((message) => message.role === 'tool').map((message) => message.content);
    return { kind: 'text', text: `The tool said: ${results.at(-1)}` };
  }
  if (tools.length > 0 && choice !== 'none') {
    const chosen =
      typeof choice === 'object'
        ? tools.filter((tool) => tool.name === choice.tool)
        : options.parallel && input.parallelToolCalls !== false
          ? tools
          : tools.slice(0, 1);
    const turn = messages?.length ?? 1;
    const calls = chosen.map((tool, index) => {
      const args = options.broken ? BROKEN : exampleOf(toJsonSchema(tool.parameters), text);
      return { id: `call_${tool.name}_${turn}_${index}`, name: tool.name, arguments: JSON.stringify(args) };
    });
    return { kind: 'tools', calls };
  }
  const format = input.responseFormat;
  if (format?.type === 'json') {
    const value = options.broken
      ? BROKEN
      : format.schema
        ? exampleOf(toJsonSchema(format.schema), text)
        : { text };
    return { kind: 'text', text: JSON.stringify(value) };
  }
  if (text.startsWith('refuse')) return { kind: 'refusal', refusal: 'I will not do that.' };
  return { kind: 'text', text: `You said: ${text}` };
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

/** An UnsupportedError naming the first image part, for a model that reads no images. */
function refuseImages(input: Input): void {
  if (!('messages' in input)) return;
  for (const [index, message] of input.messages.entries()) {
    if (message.role !== 'user' || typeof message.content === 'string') continue;
    const image = message.content.findIndex((part) => part.type === 'image');
    if (image >= 0) {
      throw new UnsupportedError('this model reads no images (capabilities.images is not true)', {
        param: `messages[${index}].content[${image}]`,
      });
    }
  }
}

/**
 * A text-generation model that calls the first allowed tool (or the one `toolChoice` names; every
 * tool with `parallel`, unless `parallelToolCalls` is false) with arguments made from the tool's
 * schema and the last user text, answers `responseFormat` json with a document made from its schema,
 * refuses a last user text that starts with "refuse", and otherwise says "You said: <last user
 * text>". After a tool's result it answers "The tool said: <result>". Streams each call's
 * tool-call-delta pieces, then its tool-call, then finish. `broken` makes it send arguments and
 * documents that break their schema. It reads images only with `capabilities.images`, and refuses
 * them otherwise before counting the call.
 */
export function toolModel(options: ToolModelOptions = {}) {
  const calls = { run: 0, stream: 0, inputs: [] as Input[] };
  const capabilities: Capabilities = {
    streaming: true,
    batching: false,
    local: true,
    tools: true,
    jsonSchema: true,
    images: false,
    ...options.capabilities,
  };
  const model = defineModel({
    id: options.broken ? 'fake:tools-broken' : 'fake:tools',
    task: textGeneration,
    capabilities,
    async run(input) {
      if (!capabilities.images) refuseImages(input);
      calls.run++;
      calls.inputs.push(input);
      const plan = planOf(input, options);
      if (plan.kind === 'tools') {
        const pieces = plan.calls.reduce((sum, call) => sum + piecesOf(call.arguments).length, 0);
        return {
          text: '',
          toolCalls: plan.calls,
          finishReason: 'tool-calls' as const,
          rawFinishReason: 'tool_calls',
          usage: usageOf(input, pieces),
        };
      }
      if (plan.kind === 'refusal') {
        return { text: '', refusal: plan.refusal, finishReason: 'stop' as const, usage: usageOf(input, 1) };
      }
      return {
        text: plan.text,
        finishReason: 'stop' as const,
        usage: usageOf(input, piecesOf(plan.text).length),
      };
    },
    async *stream(input): AsyncGenerator<TextGenerationChunk> {
      if (!capabilities.images) refuseImages(input);
      calls.stream++;
      calls.inputs.push(input);
      const plan = planOf(input, options);
      if (plan.kind === 'tools') {
        let pieces = 0;
        for (const [index, { arguments: args, ...call }] of plan.calls.entries()) {
          for (const argumentsDelta of piecesOf(args)) {
            pieces++;
            yield { type: 'tool-call-delta', index, ...call, argumentsDelta };
          }
          yield { type: 'tool-call', index, ...call, arguments: args };
        }
        yield {
          type: 'finish',
          finishReason: 'tool-calls',
          rawFinishReason: 'tool_calls',
          usage: usageOf(input, pieces),
        };
        return;
      }
      if (plan.kind === 'refusal') {
        yield { type: 'finish', finishReason: 'stop', refusal: plan.refusal, usage: usageOf(input, 1) };
        return;
      }
      const pieces = piecesOf(plan.text);
      for (const text of pieces) yield { type: 'text-delta', text };
      yield { type: 'finish', finishReason: 'stop', usage: usageOf(input, pieces.length) };
    },
  });
  return { model, calls };
}
