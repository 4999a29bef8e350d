// A deterministic in-memory text generation model with tools and json answers, for the suite's own
// tests and the composition tests: it calls the chosen tool (or the first) with arguments made from
// the last user turn, answers json from the response schema's properties, and refuses images.
import {
  defineModel,
  type Model,
  type ParsedInputOf,
  type TextGenerationChunk,
  type TextGenerationOutput,
  type TextGenerationTask,
  textGeneration,
  toJsonSchema,
  UnsupportedError,
} from '../../src/index.ts';

type Input = ParsedInputOf<TextGenerationTask>;

function lastUserText(input: Input): string {
  if ('prompt' in input) return input.prompt;
  const last = input.messages.findLast((message) => message.role === 'user');
  if (last?.role !== 'user') return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((part) => (part.type === 'text' ? part.text : '')).join(' ');
}

/** Each property of an object schema filled with the text (strings), its length (numbers) or true. */
function fill(schema: Record<string, unknown>, text: string): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, { type?: string }>;
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property.type === 'number' || property.type === 'integer') out[name] = text.length;
    else if (property.type === 'boolean') out[name] = true;
    else out[name] = text;
  }
  return out;
}

/** What the model answers: tool calls (arguments as JSON text), a json text, or the text itself. */
function answer(input: Input): { text: string; calls: { id: string; name: string; arguments: string }[] } {
  const text = lastUserText(input);
  const tools = input.tools ?? [];
  const choice = input.toolChoice;
  if (tools.length > 0 && choice !== 'none' && choice !== 'auto') {
    const name = typeof choice === 'object' ? choice.tool : tools[0]!.name;
    const tool = tools.find((candidate) => candidate.name === name)!;
    const args = JSON.stringify(fill(toJsonSchema(tool.parameters), text));
    return { text: '', calls: [{ id: 'call_0', name, arguments: args }] };
  }
  const format = input.responseFormat;
  if (format?.type === 'json') {
    const schema = format.schema ? toJsonSchema(format.schema) : { properties: { answer: {} } };
    return { text: JSON.stringify(fill(schema, text)), calls: [] };
  }
  return { text, calls: [] };
}

function refuseImages(input: Input): void {
  if ('prompt' in input) return;
  for (const [index, message] of input.messages.entries()) {
    if (message.role === 'user' && typeof message.content !== 'string') {
      const image = message.content.findIndex((part) => part.type === 'image');
      if (image >= 0) {
        throw new UnsupportedError('test:tools reads no images', {
          param: `messages[${index}].content[${image}]`,
        });
      }
    }
  }
}

/** The model, and how many calls reached it. */
export function toolModel(id = 'test:tools'): { model: Model<TextGenerationTask>; calls: () => number } {
  let calls = 0;
  const usage = { inputTokens: 3, outputTokens: 5 };
  const model = defineModel({
    id,
    task: textGeneration,
    capabilities: {
      streaming: true,
      batching: false,
      local: true,
      tools: true,
      jsonSchema: true,
      images: false,
    },
    async run(input): Promise<TextGenerationOutput> {
      refuseImages(input);
      calls++;
      const { text, calls: toolCalls } = answer(input);
      if (toolCalls.length > 0) return { text, toolCalls, finishReason: 'tool-calls', usage };
      return { text, finishReason: 'stop', usage };
    },
    async *stream(input): AsyncGenerator<TextGenerationChunk> {
      refuseImages(input);
      calls++;
      const { text, calls: toolCalls } = answer(input);
      if (text) {
        for (const piece of text.match(/.{1,4}/gs) ?? []) yield { type: 'text-delta', text: piece };
      }
      for (const [index, call] of toolCalls.entries()) {
        const half = Math.ceil(call.arguments.length / 2);
        for (const argumentsDelta of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
          yield { type: 'tool-call-delta', index, id: call.id, name: call.name, argumentsDelta };
        }
        yield { type: 'tool-call', index, ...call };
      }
      yield { type: 'finish', finishReason: toolCalls.length > 0 ? 'tool-calls' : 'stop', usage };
    },
  });
  return { model, calls: () => calls };
}
