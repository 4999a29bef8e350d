// Chat completions with tools, structured output, images and refusals, both directions: what the
// client sends, what the server reads (and refuses by name), and each mapping read back by its
// other half.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidInputError, UnsupportedError } from '../../../src/errors.ts';
import {
  type ChatContext,
  chatCompletionChunks,
  chatCompletionStream,
  chatCompletions,
} from '../../../src/protocols/openai/chat.ts';
import { ChatCompletion, ChatCompletionRequest } from '../../../src/protocols/openai/schemas.ts';
import {
  type TextGenerationChunk,
  type TextGenerationInput,
  type TextGenerationOutput,
  textGeneration,
} from '../../../src/tasks/text-generation.ts';
import { checkTextGeneration, checkTextGenerationStream } from '../../../src/tasks/text-generation-check.ts';

const meta = { id: 'chatcmpl-1', created: 1_700_000_000, model: 'm' };
const everything = { tools: true, jsonSchema: true, images: true };
const served: ChatContext = { modelName: 'm', capabilities: everything };

/** What travels: JSON text, read back with the wire schema of the receiving side. */
const overTheWire = <T>(schema: { parse(value: unknown): T }, value: unknown): T =>
  schema.parse(JSON.parse(JSON.stringify(value)));

const encode = (input: TextGenerationInput) =>
  chatCompletions.encodeRequest(textGeneration.input.parse(input), { modelName: 'm' });

type MessagesInput = Extract<TextGenerationInput, { messages: unknown }>;

/** The client's request as the server reads it, parsed back into the task's input. */
const readBack = (input: TextGenerationInput, context: ChatContext = served) =>
  textGeneration.input.parse(
    chatCompletions.decodeRequest(overTheWire(ChatCompletionRequest, encode(input)), context),
  ) as Extract<ReturnType<typeof textGeneration.input.parse>, { messages: unknown }>;

// The server half always reads a request as messages.
const decode = (body: unknown, context: ChatContext = served) =>
  chatCompletions.decodeRequest(ChatCompletionRequest.parse(body), context) as MessagesInput;

function refusal(body: unknown, context: ChatContext = served): UnsupportedError {
  try {
    decode(body, context);
  } catch (error) {
    if (error instanceof UnsupportedError) return error;
    throw error;
  }
  throw new Error('expected an UnsupportedError');
}

const user = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content }] });

const weather = {
  name: 'weather',
  description: 'The weather at a place',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string' } },
    required: ['location'],
    additionalProperties: false,
  },
};

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function* asEvents(payloads: AsyncIterable<string>) {
  for await (const data of payloads) yield { event: undefined, data };
}

const noFailure = () => {
  throw new Error('no failure expected');
};

/** The chunks as the server writes them, read back by the client. */
const streamBack = (chunks: TextGenerationChunk[]) =>
  collect(chatCompletionStream(asEvents(chatCompletionChunks(from(chunks), meta, true, noFailure)), 'mlkit'));

describe('chat completions client: tools, formats and parts in the request', () => {
  it('sends tools as function tools with their parameters as JSON Schema', () => {
    expect(encode({ prompt: 'Hi', tools: [weather] }).tools).toEqual([
      { type: 'function', function: weather },
    ]);
  });

  it('sends a zod tool schema converted to JSON Schema, without $schema', () => {
    const body = encode({ prompt: 'Hi', tools: [{ name: 'f', parameters: z.object({ city: z.string() }) }] });
    const parameters = (body.tools![0] as { function: { parameters: Record<string, unknown> } }).function
      .parameters;
    expect(parameters).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    });
    expect(parameters).not.toHaveProperty('$schema');
  });

  it('sends a tool without parameters with an empty object schema', () => {
    const body = encode({ prompt: 'Hi', tools: [{ name: 'now' }] });
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'now',
          parameters: { type: 'object', properties: {}, additionalProperties: false },
        },
      },
    ]);
  });

  it.each([
    ['auto', 'auto'],
    ['none', 'none'],
    ['required', 'required'],
    [{ tool: 'weather' }, { type: 'function', function: { name: 'weather' } }],
  ] as const)('sends toolChoice %j as tool_choice %j', (toolChoice, wire) => {
    expect(encode({ prompt: 'Hi', tools: [weather], toolChoice }).tool_choice).toEqual(wire);
  });

  it('sends parallelToolCalls as parallel_tool_calls', () => {
    expect(encode({ prompt: 'Hi', tools: [weather], parallelToolCalls: false }).parallel_tool_calls).toBe(
      false,
    );
  });

  it('sends no tool fields without tools', () => {
    const body = encode({ prompt: 'Hi' });
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  it("sends a json responseFormat with a schema as strict json_schema named 'response'", () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    expect(encode({ prompt: 'Hi', responseFormat: { type: 'json', schema } }).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema, strict: true },
    });
  });

  it('sends the json schema name and description given', () => {
    const format = encode({
      prompt: 'Hi',
      responseFormat: {
        type: 'json',
        schema: z.object({ a: z.number() }),
        name: 'point',
        description: 'A point',
      },
    }).response_format;
    expect(format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'point', description: 'A point', strict: true, schema: { type: 'object' } },
    });
  });

  it('sends a json responseFormat without a schema as json_object', () => {
    expect(encode({ prompt: 'Hi', responseFormat: { type: 'json' } }).response_format).toEqual({
      type: 'json_object',
    });
  });

  it('sends no response_format for text answers', () => {
    expect(encode({ prompt: 'Hi', responseFormat: { type: 'text' } })).not.toHaveProperty('response_format');
  });

  it.each([
    ['bytes', new Uint8Array([1, 2, 3]), 'image/png', 'data:image/png;base64,AQID'],
    ['an ArrayBuffer', new Uint8Array([255, 0]).buffer, 'image/jpeg', 'data:image/jpeg;base64,/wA='],
    ['base64 text', 'AQID', 'image/webp', 'data:image/webp;base64,AQID'],
    ['a URL object', new URL('https://example.com/cat.png'), undefined, 'https://example.com/cat.png'],
    ['an https URL', 'https://example.com/cat.png', undefined, 'https://example.com/cat.png'],
    ['a data URL', 'data:image/gif;base64,R0lG', undefined, 'data:image/gif;base64,R0lG'],
  ])('sends an image given as %s as an image_url part', (_, image, mediaType, url) => {
    const body = encode({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', image, ...(mediaType && { mediaType }) },
          ],
        },
      ],
    });
    expect(body.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url } },
      ],
    });
  });

  it('sends an assistant turn that only called tools with content null and JSON arguments', () => {
    const body = encode({
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          toolCalls: [{ id: 'call_1', name: 'weather', arguments: { location: 'Paris' } }],
        },
        { role: 'tool', toolCallId: 'call_1', content: '{"celsius":21}' },
      ],
      tools: [weather],
    });
    expect(body.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'weather', arguments: '{"location":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
    ]);
  });

  it('keeps the text of an assistant turn that also called tools', () => {
    const body = encode({
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: 'Let me look.',
          toolCalls: [{ id: 'c', name: 'weather', arguments: {} }],
        },
      ],
    });
    expect(body.messages[1]).toMatchObject({ role: 'assistant', content: 'Let me look.' });
  });
});

describe('chat completions server: reading tools, formats and parts', () => {
  it('reads developer messages as system messages', () => {
    expect(decode({ model: 'm', messages: [{ role: 'developer', content: 'Be brief.' }] }).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
    ]);
  });

  it('reads response_format json_object as json without a schema', () => {
    expect(decode({ ...user('Hi'), response_format: { type: 'json_object' } }).responseFormat).toEqual({
      type: 'json',
    });
  });

  it('reads response_format text as no format', () => {
    expect(decode({ ...user('Hi'), response_format: { type: 'text' } })).not.toHaveProperty('responseFormat');
  });

  it('keeps an image given as a data: URL as that URL', () => {
    const url = 'data:image/png;base64,AQID';
    expect(decode(user([{ type: 'image_url', image_url: { url, detail: 'low' } }])).messages[0]).toEqual({
      role: 'user',
      content: [{ type: 'image', image: url }],
    });
  });

  it('reads an image_url given as a bare string', () => {
    expect(decode(user([{ type: 'image_url', image_url: 'https://example.com/a.png' }])).messages[0]).toEqual(
      {
        role: 'user',
        content: [{ type: 'image', image: 'https://example.com/a.png' }],
      },
    );
  });

  it('keeps replayed tool-call arguments that are not JSON as their text', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a": 1' } }],
        },
      ],
    };
    expect(decode(body).messages[1]).toEqual({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a": 1' }],
    });
  });

  it('refuses tools by name when the model does not call tools', () => {
    const error = refusal(
      { ...user('Hi'), tools: [{ type: 'function', function: weather }] },
      { modelName: 'm' },
    );
    expect(error.param).toBe('tools');
    expect(error.message).toMatch(/does not call tools/);
  });

  it('refuses a tool of another type than function by its index', () => {
    const error = refusal({ ...user('Hi'), tools: [{ type: 'web_search' }] });
    expect(error.param).toBe('tools[0].type');
    expect(error.message).toMatch(/"web_search"/);
  });

  it('refuses tool messages when the model does not call tools', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
      ],
    };
    expect(refusal(body, { modelName: 'm' }).param).toBe('messages[1].role');
  });

  it('refuses the legacy functions field, pointing to tools', () => {
    const error = refusal({ ...user('Hi'), functions: [{ name: 'f' }] });
    expect(error.param).toBe('functions');
    expect(error.message).toMatch(/send `tools`/);
  });

  it('refuses a tool_choice of a kind it does not serve', () => {
    const error = refusal({
      ...user('Hi'),
      tools: [{ type: 'function', function: weather }],
      tool_choice: { type: 'allowed_tools', allowed_tools: {} },
    });
    expect(error.param).toBe('tool_choice');
  });

  it('rejects tool_choice {type: "function"} without a function name as invalid input', () => {
    expect(() =>
      decode({
        ...user('Hi'),
        tools: [{ type: 'function', function: weather }],
        tool_choice: { type: 'function' },
      }),
    ).toThrow(InvalidInputError);
  });

  it.each(['json_object', 'json_schema'])(
    'refuses response_format %s by name when the model cannot enforce JSON',
    (type) => {
      const format = type === 'json_schema' ? { type, json_schema: { name: 'r', schema: {} } } : { type };
      const error = refusal({ ...user('Hi'), response_format: format }, { modelName: 'm' });
      expect(error.param).toBe('response_format');
    },
  );

  it('refuses an unknown response_format type by name', () => {
    expect(refusal({ ...user('Hi'), response_format: { type: 'grammar' } }).param).toBe(
      'response_format.type',
    );
  });

  it('refuses an image part by its place when the model reads no images', () => {
    const body = user([
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
    ]);
    const error = refusal(body, { modelName: 'm', capabilities: { tools: true } });
    expect(error.param).toBe('messages[0].content[1]');
    expect(error.message).toMatch(/does not read images/);
  });

  it('refuses a part of a kind it does not serve by its type', () => {
    const error = refusal(user([{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }]));
    expect(error.param).toBe('messages[0].content[0].type');
    expect(error.message).toMatch(/"input_audio"/);
  });
});

describe('chat completions request schema: malformed shapes are clear 400s', () => {
  const issuesOf = (body: unknown) => {
    const parsed = ChatCompletionRequest.safeParse(body);
    expect(parsed.success).toBe(false);
    return parsed.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  };

  it('names a function tool without its function', () => {
    expect(issuesOf({ ...user('Hi'), tools: [{ type: 'function' }] })).toContainEqual({
      path: 'tools.0.function',
      message: 'a function tool needs `function: {name, parameters}`',
    });
  });

  it('names a function tool without a name', () => {
    expect(issuesOf({ ...user('Hi'), tools: [{ type: 'function', function: {} }] })[0]!.path).toBe(
      'tools.0.function.name',
    );
  });

  it('names an image_url part without image_url', () => {
    expect(issuesOf(user([{ type: 'image_url' }]))).toContainEqual({
      path: 'messages.0.content.0.image_url',
      message: 'an image_url part needs `image_url: {url}` (an http(s): or data: URL)',
    });
  });

  it('names a text part without text', () => {
    expect(issuesOf(user([{ type: 'text' }]))[0]!.path).toBe('messages.0.content.0.text');
  });

  it('names a tool message without tool_call_id', () => {
    expect(issuesOf({ model: 'm', messages: [{ role: 'tool', content: '42' }] })).toContainEqual({
      path: 'messages.0.tool_call_id',
      message: 'a tool message needs `tool_call_id`: the id of the tool call it answers',
    });
  });

  it('names tool-call arguments that are not JSON text', () => {
    const body = {
      model: 'm',
      messages: [
        {
          role: 'assistant',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: { a: 1 } } }],
        },
      ],
    };
    expect(issuesOf(body)[0]!.path).toBe('messages.0.tool_calls.0.function.arguments');
  });

  it('names a json_schema response_format without json_schema', () => {
    expect(issuesOf({ ...user('Hi'), response_format: { type: 'json_schema' } })[0]!.path).toBe(
      'response_format.json_schema',
    );
  });
});

describe('chat completions round trip: requests', () => {
  it('reads back tools, a tool choice and parallelToolCalls as the same input', () => {
    const input = textGeneration.input.parse({
      prompt: 'Weather in Paris?',
      tools: [weather, { name: 'now' }],
      toolChoice: 'required',
      parallelToolCalls: false,
    });
    expect(readBack(input)).toEqual({
      ...input,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      prompt: undefined,
    });
  });

  it('reads back a tool choice naming one tool as the same choice', () => {
    expect(readBack({ prompt: 'Hi', tools: [weather], toolChoice: { tool: 'weather' } }).toolChoice).toEqual({
      tool: 'weather',
    });
  });

  it('reads back a json responseFormat with a schema, name and description as the same format', () => {
    const responseFormat = {
      type: 'json' as const,
      schema: {
        type: 'object',
        properties: { a: { type: 'number' } },
        required: ['a'],
        additionalProperties: false,
      },
      name: 'point',
      description: 'A point',
    };
    expect(readBack({ prompt: 'Hi', responseFormat }).responseFormat).toEqual(responseFormat);
  });

  it("reads back a json responseFormat without a name as named 'response'", () => {
    const schema = { type: 'object', properties: {} };
    expect(readBack({ prompt: 'Hi', responseFormat: { type: 'json', schema } }).responseFormat).toEqual({
      type: 'json',
      schema,
      name: 'response',
    });
  });

  it('reads back a json responseFormat without a schema as the same format', () => {
    expect(readBack({ prompt: 'Hi', responseFormat: { type: 'json' } }).responseFormat).toEqual({
      type: 'json',
    });
  });

  it('reads back text and image parts given as URLs as the same parts', () => {
    const messages = [
      {
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'Compare these' },
          { type: 'image' as const, image: 'https://example.com/a.png' },
          { type: 'image' as const, image: 'data:image/png;base64,AQID' },
        ],
      },
    ];
    expect(readBack({ messages }).messages).toEqual(messages);
  });

  it('reads back an image given as bytes as the data: URL of the same bytes', () => {
    const read = readBack({
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', image: new Uint8Array([1, 2, 3]), mediaType: 'image/png' }],
        },
      ],
    });
    expect(read.messages).toEqual([
      { role: 'user', content: [{ type: 'image', image: 'data:image/png;base64,AQID' }] },
    ]);
  });

  it('reads back a conversation with tool calls and tool results as the same messages', () => {
    const input = textGeneration.input.parse({
      messages: [
        { role: 'system', content: 'Use tools.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'call_1', name: 'weather', arguments: { location: 'Paris' } },
            { id: 'call_2', name: 'weather', arguments: { location: 'Rome' } },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: '{"celsius":21}' },
        { role: 'tool', toolCallId: 'call_2', content: '{"celsius":25}' },
        { role: 'assistant', content: 'Paris 21 °C, Rome 25 °C.' },
      ],
      tools: [weather],
    });
    expect(readBack(input)).toEqual(input);
  });
});

describe('chat completions round trip: responses', () => {
  const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
  const input = textGeneration.input.parse({ prompt: 'Weather?', tools: [weather] });

  /** The server's answer as the client reads it, checked the way every model checks its output. */
  const answerBack = (output: TextGenerationOutput, checkedWith = input) =>
    checkTextGeneration(
      checkedWith,
      chatCompletions.decodeResponse(
        overTheWire(ChatCompletion, chatCompletions.encodeResponse(output, { modelName: 'm', meta })),
        { modelName: 'm' },
      ),
    );

  it('reads back tool calls as the same calls, finish reason and usage', () => {
    const output: TextGenerationOutput = {
      text: '',
      toolCalls: [
        { id: 'call_1', name: 'weather', arguments: { location: 'Paris' } },
        { id: 'call_2', name: 'weather', arguments: { location: 'Rome' } },
      ],
      finishReason: 'tool-calls',
      usage,
    };
    expect(answerBack(output)).toEqual({ ...output, rawFinishReason: 'tool_calls' });
  });

  it('sends a turn that only called tools with content null and finish_reason tool_calls', () => {
    const body = chatCompletions.encodeResponse(
      {
        text: '',
        toolCalls: [{ id: 'c', name: 'weather', arguments: { location: 'Oslo' } }],
        finishReason: 'tool-calls',
        usage,
      },
      { modelName: 'm', meta },
    );
    expect(body.choices[0]).toMatchObject({
      message: {
        content: null,
        tool_calls: [
          { id: 'c', type: 'function', function: { name: 'weather', arguments: '{"location":"Oslo"}' } },
        ],
      },
      finish_reason: 'tool_calls',
    });
  });

  it('reads back a refusal as the same refusal', () => {
    const output: TextGenerationOutput = {
      text: '',
      refusal: 'I cannot help with that.',
      finishReason: 'stop',
      usage,
    };
    expect(answerBack(output)).toEqual({ ...output, rawFinishReason: 'stop' });
  });

  it('reads back a json answer as the same text, parsed as the object', () => {
    const json = textGeneration.input.parse({
      prompt: 'A point',
      responseFormat: { type: 'json', schema: { type: 'object', properties: { x: { type: 'number' } } } },
    });
    const output: TextGenerationOutput = { text: '{"x":1}', object: { x: 1 }, finishReason: 'stop', usage };
    expect(answerBack(output, json)).toEqual({ ...output, rawFinishReason: 'stop' });
  });
});

describe('chat completions round trip: streams', () => {
  const usage = { inputTokens: 3, outputTokens: 9, totalTokens: 12 };
  const input = textGeneration.input.parse({ prompt: 'Weather?', tools: [weather] });
  const checked = async (chunks: TextGenerationChunk[]) =>
    collect(checkTextGenerationStream(input, from(await streamBack(chunks))));

  it('reads back streamed tool-call deltas and calls as the same chunks', async () => {
    const chunks: TextGenerationChunk[] = [
      { type: 'text-delta', text: 'Looking up.' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: '{"location":' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: '"Paris"}' },
      {
        type: 'tool-call-delta',
        index: 1,
        id: 'call_2',
        name: 'weather',
        argumentsDelta: '{"location":"Rome"}',
      },
      { type: 'tool-call', index: 0, id: 'call_1', name: 'weather', arguments: { location: 'Paris' } },
      { type: 'tool-call', index: 1, id: 'call_2', name: 'weather', arguments: { location: 'Rome' } },
      { type: 'finish', finishReason: 'tool-calls', usage },
    ];
    expect(await checked(chunks)).toEqual(
      chunks.map((chunk) => (chunk.type === 'finish' ? { ...chunk, rawFinishReason: 'tool_calls' } : chunk)),
    );
  });

  it('writes a call whose arguments were not streamed as one delta, read back as one piece', async () => {
    const call = {
      type: 'tool-call' as const,
      index: 0,
      id: 'call_9',
      name: 'weather',
      arguments: { location: 'Oslo' },
    };
    expect(await checked([call, { type: 'finish', finishReason: 'tool-calls', usage }])).toEqual([
      {
        type: 'tool-call-delta',
        index: 0,
        id: 'call_9',
        name: 'weather',
        argumentsDelta: '{"location":"Oslo"}',
      },
      call,
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls', usage },
    ]);
  });

  it('writes a call as OpenAI does: id, type and name first with empty arguments, then the pieces', async () => {
    const payloads = await collect(
      chatCompletionChunks(
        from<TextGenerationChunk>([
          {
            type: 'tool-call-delta',
            index: 0,
            id: 'call_1',
            name: 'weather',
            argumentsDelta: '{"location":',
          },
          { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: '"Paris"}' },
          { type: 'tool-call', index: 0, id: 'call_1', name: 'weather', arguments: { location: 'Paris' } },
          { type: 'finish', finishReason: 'tool-calls', usage },
        ]),
        meta,
        false,
        noFailure,
      ),
    );
    const choices = payloads.slice(1, -1).map((payload) => JSON.parse(payload).choices[0]);
    expect(choices.map((choice) => choice.delta.tool_calls ?? null)).toEqual([
      [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }],
      [{ index: 0, function: { arguments: '{"location":' } }],
      [{ index: 0, function: { arguments: '"Paris"}' } }],
      null,
    ]);
    expect(choices.at(-1).finish_reason).toBe('tool_calls');
  });

  it('reads back a refusal on the finish chunk as the same refusal', async () => {
    const finish: TextGenerationChunk = {
      type: 'finish',
      finishReason: 'stop',
      refusal: 'I cannot help.',
      usage,
    };
    expect(await streamBack([finish])).toEqual([{ ...finish, rawFinishReason: 'stop' }]);
  });
});
