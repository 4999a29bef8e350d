// The Responses API mapping (server half) for tools, structured output and images: a request read
// as the task's input (refused by name where the model lacks the capability), the output written as
// the response object, and the stream as OpenAI's named events — checked against the official
// openai SDK's own accumulator, which is what clients build the final response with.
import {
  InvalidInputError,
  type TextGenerationChunk,
  TextGenerationInput,
  type TextGenerationOutput,
  UnsupportedError,
} from '@mlkit/core';
import { openaiWire } from '@mlkit/core/protocols';
import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';

const { ResponsesRequest, toResponsesInput, toResponse, responseEvents, newResponseMeta } = openaiWire;

const ALL = { tools: true, jsonSchema: true, images: true };
const WEATHER = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};

/** A request body as the server reads it: JSON text checked with the wire schema. */
const request = (fields: Record<string, unknown>) =>
  ResponsesRequest.parse(JSON.parse(JSON.stringify({ model: 'm', input: 'hi', ...fields })));

const decode = (fields: Record<string, unknown>, capabilities: Record<string, boolean> = ALL) =>
  toResponsesInput(request(fields), { capabilities });

const failure = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
};

const weatherTool = { type: 'function', name: 'get_weather', parameters: WEATHER, strict: true };

describe('a Responses request with function tools', () => {
  it('gives the task its tools: name, description and parameters', () => {
    const input = decode({
      tools: [
        { ...weatherTool, description: 'Current weather' },
        { type: 'function', name: 'now' },
      ],
    });
    expect(input.tools).toEqual([
      { name: 'get_weather', description: 'Current weather', parameters: WEATHER },
      { name: 'now' },
    ]);
    expect(() => TextGenerationInput.parse(input)).not.toThrow();
  });

  it.each([
    ['auto', 'auto'],
    ['none', 'none'],
    ['required', 'required'],
    [{ type: 'function', name: 'get_weather' }, { tool: 'get_weather' }],
  ])('maps tool_choice %j to toolChoice %j', (choice, expected) => {
    expect(decode({ tools: [weatherTool], tool_choice: choice }).toolChoice).toEqual(expected);
  });

  it('maps parallel_tool_calls to parallelToolCalls', () => {
    expect(decode({ tools: [weatherTool], parallel_tool_calls: false }).parallelToolCalls).toBe(false);
    expect(decode({ tools: [weatherTool] }).parallelToolCalls).toBeUndefined();
  });

  it('refuses tools with param "tools" for a model without capabilities.tools', () => {
    const error = failure(() => decode({ tools: [weatherTool] }, { jsonSchema: true }));
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ param: 'tools' });
  });

  it('refuses a hosted tool type by name, naming its type field', () => {
    const error = failure(() => decode({ tools: [weatherTool, { type: 'web_search' }] }));
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ param: 'tools[1].type', message: expect.stringContaining('"web_search"') });
  });

  it('answers a function tool without a name as invalid input naming the field', () => {
    const error = failure(() => decode({ tools: [{ type: 'function', parameters: WEATHER }] }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toEqual(['body.tools[0].name']);
  });

  it('answers a tool_choice naming no tool as invalid input naming tool_choice.name', () => {
    const error = failure(() =>
      decode({ tools: [weatherTool], tool_choice: { type: 'function', name: 'nope' } }),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues[0]).toMatchObject({ path: 'body.tool_choice.name' });
  });

  it('refuses tool_choice "required" without tools, naming tool_choice', () => {
    expect(failure(() => decode({ tool_choice: 'required' }))).toMatchObject({ param: 'tool_choice' });
  });

  it('refuses an allowed_tools tool_choice by name', () => {
    const error = failure(() =>
      decode({ tools: [weatherTool], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }),
    );
    expect(error).toMatchObject({ param: 'tool_choice', message: expect.stringContaining('allowed_tools') });
  });
});

describe('a Responses request with text.format', () => {
  it('maps json_schema to responseFormat json with its schema and name', () => {
    const input = decode({
      text: { format: { type: 'json_schema', name: 'weather', schema: WEATHER, strict: true } },
    });
    expect(input.responseFormat).toEqual({ type: 'json', schema: WEATHER, name: 'weather' });
  });

  it('maps json_object to responseFormat json without a schema', () => {
    expect(decode({ text: { format: { type: 'json_object' } } }).responseFormat).toEqual({ type: 'json' });
  });

  it('maps text to no responseFormat', () => {
    expect(decode({ text: { format: { type: 'text' } } }).responseFormat).toBeUndefined();
  });

  it('refuses json_schema with param "text.format" for a model without capabilities.jsonSchema', () => {
    const format = { type: 'json_schema', name: 'weather', schema: WEATHER };
    const error = failure(() => decode({ text: { format } }, { tools: true }));
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ param: 'text.format' });
  });

  it('answers json_schema without a schema as invalid input naming text.format.schema', () => {
    const error = failure(() => decode({ text: { format: { type: 'json_schema', name: 'weather' } } }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toEqual([
      'body.text.format.schema',
    ]);
  });
});

describe('Responses input items for tool calls', () => {
  const replay = [
    { role: 'user', content: 'Weather in Paris and Rome?' },
    {
      type: 'message',
      id: 'msg_1',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }],
    },
    {
      type: 'function_call',
      id: 'fc_1',
      call_id: 'call_a',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    },
    {
      type: 'function_call',
      id: 'fc_2',
      call_id: 'call_b',
      name: 'get_weather',
      arguments: '{"city":"Rome"}',
    },
    { type: 'function_call_output', call_id: 'call_a', output: '{"temp":21}' },
    {
      type: 'function_call_output',
      call_id: 'call_b',
      output: [{ type: 'input_text', text: '{"temp":25}' }],
    },
  ];

  it('joins the assistant message and consecutive function_call items into one turn, results as tool messages', () => {
    const input = decode({ tools: [weatherTool], input: replay });
    expect('messages' in input && input.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [
          { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'call_b', name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      },
      { role: 'tool', toolCallId: 'call_a', content: '{"temp":21}' },
      { role: 'tool', toolCallId: 'call_b', content: '{"temp":25}' },
    ]);
    expect(() => TextGenerationInput.parse(input)).not.toThrow();
  });

  it('makes a function_call after a user turn an assistant turn of its own', () => {
    const input = decode({ tools: [weatherTool], input: [replay[0], replay[2]] });
    expect('messages' in input && input.messages[1]).toEqual({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } }],
    });
  });

  it('answers function_call arguments that are not JSON as invalid input naming the field', () => {
    const error = failure(() =>
      decode({ tools: [weatherTool], input: [{ ...replay[2], arguments: '{city: Paris' }] }),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues[0]).toMatchObject({ path: 'body.input[0].arguments' });
  });

  it('answers a function_call_output without call_id as invalid input naming the field', () => {
    const error = failure(() =>
      decode({ tools: [weatherTool], input: [{ type: 'function_call_output', output: 'x' }] }),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toEqual(['body.input[0].call_id']);
  });

  it('refuses function_call items for a model without capabilities.tools, naming the item type', () => {
    const error = failure(() => decode({ input: [replay[2]] }, {}));
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ param: 'input[0].type' });
  });
});

describe('Responses input_image parts', () => {
  const PNG = 'data:image/png;base64,iVBORw0KGgo=';
  const message = (parts: unknown[]) => ({ input: [{ role: 'user', content: parts }] });

  it('become image parts beside the text parts (data: and https: URLs)', () => {
    const input = decode(
      message([
        { type: 'input_text', text: 'Compare these' },
        { type: 'input_image', image_url: PNG, detail: 'auto' },
        { type: 'input_image', image_url: 'https://example.com/cat.jpg' },
      ]),
    );
    expect('messages' in input && input.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these' },
          { type: 'image', image: PNG },
          { type: 'image', image: 'https://example.com/cat.jpg' },
        ],
      },
    ]);
    expect(() => TextGenerationInput.parse(input)).not.toThrow();
  });

  it('are refused for a model without capabilities.images, naming the part type', () => {
    const error = failure(() =>
      decode(
        message([
          { type: 'input_text', text: 'x' },
          { type: 'input_image', image_url: PNG },
        ]),
        { tools: true },
      ),
    );
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ param: 'input[0].content[1].type' });
  });

  it('refuse a file_id by name (the server stores no files)', () => {
    expect(failure(() => decode(message([{ type: 'input_image', file_id: 'file_1' }])))).toMatchObject({
      param: 'input[0].content[0].file_id',
    });
  });

  it('answer an image_url that is not a URL as invalid input naming it', () => {
    const error = failure(() => decode(message([{ type: 'input_image', image_url: 'cat.jpg' }])));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path)).toEqual([
      'body.input[0].content[0].image_url',
    ]);
  });

  it('are refused in an assistant message', () => {
    const error = failure(() =>
      decode({ input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: PNG }] }] }),
    );
    expect(error).toMatchObject({ param: 'input[0].content[0].type' });
  });
});

// --- Response and stream ---------------------------------------------------------------------------

const usage = { inputTokens: 5, outputTokens: 7, totalTokens: 12 };
const metaFor = (fields: Record<string, unknown> = {}) => newResponseMeta(request(fields));
const call = (id: string, city: string) => ({ id, name: 'get_weather', arguments: { city } });

describe('a Responses answer', () => {
  it('lists the tool calls as function_call items after the message, arguments as JSON text', () => {
    const meta = metaFor({ tools: [weatherTool] });
    const output: TextGenerationOutput = {
      text: 'Checking.',
      toolCalls: [call('call_a', 'Paris'), call('call_b', 'Rome')],
      finishReason: 'tool-calls',
      usage,
    };
    const response = toResponse(output, meta);
    expect(response.status).toBe('completed');
    expect(response.output).toEqual([
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: 'Checking.' })] }),
      {
        type: 'function_call',
        id: expect.stringMatching(/^fc_/),
        call_id: 'call_a',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      },
      expect.objectContaining({ type: 'function_call', call_id: 'call_b', arguments: '{"city":"Rome"}' }),
    ]);
    expect(new Set(response.output.map((item) => item.id)).size).toBe(3);
  });

  it('has no message item when the model only called tools', () => {
    const meta = metaFor({ tools: [weatherTool] });
    const response = toResponse(
      { text: '', toolCalls: [call('call_a', 'Paris')], finishReason: 'tool-calls', usage },
      meta,
    );
    expect(response.output.map((item) => item.type)).toEqual(['function_call']);
  });

  it('sends a refusal as a refusal content part, not as output_text', () => {
    const response = toResponse(
      { text: '', refusal: 'I cannot help.', finishReason: 'stop', usage },
      metaFor(),
    );
    expect(response.output).toEqual([
      expect.objectContaining({ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot help.' }] }),
    ]);
  });

  it('echoes the request’s tools, tool_choice, parallel_tool_calls and text.format', () => {
    const format = { type: 'json_schema', name: 'weather', schema: WEATHER };
    const meta = metaFor({
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
      text: { format },
    });
    const response = toResponse({ text: '{"city":"x"}', finishReason: 'stop', usage }, meta);
    expect(response).toMatchObject({
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
      text: { format },
    });
  });
});

async function* from(chunks: TextGenerationChunk[]): AsyncGenerator<TextGenerationChunk> {
  yield* chunks;
}

/** The stream's events parsed, and the response the openai SDK accumulates from them. */
async function stream(chunks: TextGenerationChunk[], meta = metaFor({ tools: [weatherTool] })) {
  const events: ResponseStreamEvent[] = [];
  for await (const event of responseEvents(from(chunks), meta, () => {
    throw new Error('no failure expected');
  })) {
    const data = JSON.parse(event.data) as ResponseStreamEvent;
    expect(data.type).toBe(event.event);
    events.push(data);
  }
  let accumulated: Response | undefined;
  for (const event of events) accumulated = accumulateResponse(event, accumulated);
  return { events, types: events.map((event) => event.type), accumulated: accumulated! };
}

const finish = (finishReason: 'stop' | 'tool-calls' = 'tool-calls') =>
  ({ type: 'finish', finishReason, usage }) as const;
const delta = (index: number, id: string, argumentsDelta: string) =>
  ({ type: 'tool-call-delta', index, id, name: 'get_weather', argumentsDelta }) as const;
const whole = (index: number, id: string, city: string) =>
  ({ type: 'tool-call', index, ...call(id, city) }) as const;

describe('a streamed Responses answer with tool calls', () => {
  it('sends output_item.added, one arguments delta per chunk, arguments.done and output_item.done', async () => {
    const { types, events } = await stream([
      delta(0, 'call_a', '{"city":'),
      delta(0, 'call_a', '"Paris"}'),
      whole(0, 'call_a', 'Paris'),
      finish(),
    ]);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2]).toMatchObject({
      output_index: 0,
      item: {
        type: 'function_call',
        call_id: 'call_a',
        name: 'get_weather',
        arguments: '',
        status: 'in_progress',
      },
    });
    expect(events[5]).toMatchObject({ arguments: '{"city":"Paris"}', output_index: 0 });
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('gives the openai SDK’s accumulator the same output as response.completed', async () => {
    const { events, accumulated } = await stream([
      { type: 'text-delta', text: 'Checking ' },
      { type: 'text-delta', text: 'both.' },
      delta(0, 'call_a', '{"city":"Paris"}'),
      whole(0, 'call_a', 'Paris'),
      delta(1, 'call_b', '{"city":'),
      delta(1, 'call_b', '"Rome"}'),
      whole(1, 'call_b', 'Rome'),
      finish(),
    ]);
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(completed.type).toBe('response.completed');
    expect(accumulated.output).toEqual(completed.response.output);
    expect(accumulated.output_text).toBe('Checking both.');
    expect(
      completed.response.output.map((item) => (item.type === 'function_call' ? item.arguments : item.type)),
    ).toEqual(['message', '{"city":"Paris"}', '{"city":"Rome"}']);
  });

  it('closes the message before the first function_call item opens', async () => {
    const { types } = await stream([
      { type: 'text-delta', text: 'Checking.' },
      whole(0, 'call_a', 'Paris'),
      finish(),
    ]);
    const closed = types.indexOf('response.output_item.done');
    const opened = types.lastIndexOf('response.output_item.added');
    expect(types.slice(2, closed + 1)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ]);
    expect(opened).toBeGreaterThan(closed);
  });

  it('sends a tool call that came whole as one arguments delta, then done', async () => {
    const { events } = await stream([whole(0, 'call_a', 'Paris'), finish()]);
    const deltas = events.filter((event) => event.type === 'response.function_call_arguments.delta');
    expect(deltas).toEqual([expect.objectContaining({ delta: '{"city":"Paris"}', output_index: 0 })]);
    expect(events.find((event) => event.type === 'response.function_call_arguments.done')).toMatchObject({
      arguments: '{"city":"Paris"}',
    });
  });

  it('sends deltas with the item_id of their function_call item', async () => {
    const { events } = await stream([delta(0, 'call_a', '{}'), whole(0, 'call_a', 'Paris'), finish()]);
    const added = events.find((event) => event.type === 'response.output_item.added');
    const itemId = added?.type === 'response.output_item.added' ? added.item.id : undefined;
    expect(itemId).toMatch(/^fc_/);
    expect(
      events.filter((event) => 'item_id' in event).map((event) => (event as { item_id: string }).item_id),
    ).toEqual([itemId, itemId]);
  });
});

describe('a streamed refusal', () => {
  it('is a refusal content part of the message, with refusal.delta and refusal.done', async () => {
    const { types, accumulated } = await stream(
      [{ type: 'finish', finishReason: 'stop', refusal: 'I cannot help.', usage }],
      metaFor(),
    );
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.refusal.delta',
      'response.refusal.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(accumulated.output).toEqual([
      expect.objectContaining({ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot help.' }] }),
    ]);
    expect(accumulated.output_text).toBe('');
  });
});
