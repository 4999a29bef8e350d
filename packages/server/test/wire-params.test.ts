// A 400's `param` names a field of the request the client sent, never the task's input: through
// the official openai SDK (BadRequestError.param), for chat completions and the Responses API,
// whether the wire's reader, the task's own check or the model found the fault.
import {
  type ChatMessage,
  defineModel,
  InvalidInputError,
  type TextGenerationChunk,
  textGeneration,
  UnsupportedError,
} from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolModel } from '../../../test/conformance/tool-model.ts';

const API_KEY = 'sk-wire-params-0123456789';
const pngDataUrl =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

/**
 * A model with checks of its own, naming the task's input as models do: a tool result must answer
 * a call made earlier in the conversation (`input.messages[i].toolCallId`), and a json answer's
 * schema must be an object schema (`responseFormat.schema`, bare, as the onnx decoder names it).
 */
function pickyModel() {
  const check = (input: { messages?: ChatMessage[]; responseFormat?: unknown }) => {
    const called = new Set<string>();
    for (const [index, message] of (input.messages ?? []).entries()) {
      if (message.role === 'assistant') for (const call of message.toolCalls ?? []) called.add(call.id);
      if (message.role === 'tool' && !called.has(message.toolCallId)) {
        const path = `input.messages[${index}].toolCallId`;
        const issue = `answers no earlier tool call ("${message.toolCallId}")`;
        throw new InvalidInputError(`Invalid input — ${path}: ${issue}`, {
          issues: [{ path, message: issue }],
        });
      }
    }
    const format = input.responseFormat as { type: string; schema?: { type?: unknown } } | undefined;
    if (format?.type === 'json' && format.schema && format.schema.type !== 'object') {
      throw new UnsupportedError(
        'fake:picky cannot constrain decoding to responseFormat.schema: the root must be an object schema',
        { param: 'responseFormat.schema' },
      );
    }
  };
  return defineModel({
    id: 'fake:picky',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, tools: true, jsonSchema: true },
    async run(input) {
      check(input);
      return { text: 'ok', finishReason: 'stop' as const, usage: {} };
    },
    async *stream(input): AsyncGenerator<TextGenerationChunk> {
      check(input);
      yield { type: 'text-delta', text: 'ok' };
      yield { type: 'finish', finishReason: 'stop', usage: {} };
    },
  });
}

let listening: Listening;
let client: OpenAI;

beforeAll(async () => {
  const server = createServer({
    models: {
      tools: toolModel({ capabilities: { images: true } }).model,
      picky: pickyModel(),
    },
    apiKeys: [API_KEY],
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
});
afterAll(() => listening?.close({ graceMs: 1000 }));

/** The BadRequestError a request fails with (the test fails on any other outcome). */
async function badRequest(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.BadRequestError>> {
  const error = await call.then(
    (value) => ({ resolved: value }),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  return error as InstanceType<typeof OpenAI.BadRequestError>;
}

const user = { role: 'user', content: 'weather in Paris' };
const chatTool = (name: string, fields: Record<string, unknown> = { parameters }) => ({
  type: 'function',
  function: { name, ...fields },
});

function chat(body: Record<string, unknown>, model = 'tools') {
  return client.chat.completions.create({ model, messages: [user], ...body } as never);
}

describe('chat completions: BadRequestError.param names the request’s field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a tool name with spaces', { tools: [chatTool('get the weather')] }, 'tools[0].function.name'],
    [
      'the same tool name twice',
      { tools: [chatTool('get_weather'), chatTool('get_weather')] },
      'tools[1].function.name',
    ],
    [
      'tool parameters that are a string',
      { tools: [chatTool('f', { parameters: 'city' })] },
      'tools[0].function.parameters',
    ],
    [
      'tool parameters that are an array',
      { tools: [chatTool('f', { parameters: [] })] },
      'tools[0].function.parameters',
    ],
    ['tool_choice required without tools', { tool_choice: 'required' }, 'tool_choice'],
    [
      'a tool_choice naming no tool',
      { tools: [chatTool('get_weather')], tool_choice: { type: 'function', function: { name: 'book' } } },
      'tool_choice.function.name',
    ],
    [
      'an image_url whose url is not a URL',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'picture.png' } }] }] },
      'messages[0].content[0].image_url.url',
    ],
    [
      'an image_url whose url is base64 without a media type',
      {
        messages: [
          user,
          {
            role: 'user',
            content: [
              { type: 'text', text: 'and this?' },
              { type: 'image_url', image_url: { url: 'iVBORw0KGgo' } },
            ],
          },
        ],
      },
      'messages[1].content[1].image_url.url',
    ],
    [
      'an image_url given as a string that is not a URL',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'picture.png' }] }] },
      'messages[0].content[0].image_url',
    ],
    [
      'a tool message without tool_call_id',
      { messages: [user, { role: 'tool', content: '{}' }] },
      'messages[1].tool_call_id',
    ],
    [
      'a response_format schema that is a string',
      { response_format: { type: 'json_schema', json_schema: { name: 'w', schema: 'object' } } },
      'response_format.json_schema.schema',
    ],
    [
      'a response_format name with spaces',
      {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'my format', schema: { type: 'object' } },
        },
      },
      'response_format.json_schema.name',
    ],
    ['more than 16 stop sequences', { stop: Array.from({ length: 17 }, (_, i) => `stop${i}`) }, 'stop'],
    ['a top_k of 0', { top_k: 0 }, 'top_k'],
    ['a seed that is not an integer', { seed: 1.5 }, 'seed'],
  ];

  it.each(cases)('%s', async (_, body, param) => {
    const error = await badRequest(chat(body));
    expect(error.param).toBe(param);
  });

  it('the message speaks of the request’s field, not the task’s', async () => {
    const error = await badRequest(chat({ tools: [chatTool('get_weather'), chatTool('get_weather')] }));
    expect(error.message).toContain('tools[1].function.name');
    expect(error.message).not.toContain('input.');
  });

  it('a streamed request names the request’s field too', async () => {
    const error = await badRequest(chat({ tools: [chatTool('get the weather')], stream: true }));
    expect(error.param).toBe('tools[0].function.name');
  });

  it('a model’s own check of a tool message names its tool_call_id', async () => {
    const messages = [
      user,
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_9', content: 'rainy' },
    ];
    const error = await badRequest(chat({ messages, tools: [chatTool('get_weather')] }, 'picky'));
    expect(error.param).toBe('messages[3].tool_call_id');
  });

  it('a model’s refusal of the response_format schema names json_schema.schema', async () => {
    const format = { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'array' } } };
    const error = await badRequest(chat({ response_format: format }, 'picky'));
    expect(error.param).toBe('response_format.json_schema.schema');
    expect(error.message).toContain('response_format.json_schema.schema');
  });
});

const responseTool = (name: string, fields: Record<string, unknown> = { parameters }) => ({
  type: 'function',
  name,
  ...fields,
});

function responses(body: Record<string, unknown>, model = 'tools') {
  return client.responses.create({ model, input: 'weather in Paris', ...body } as never);
}

describe('the Responses API: BadRequestError.param names the request’s field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a tool name with spaces', { tools: [responseTool('get the weather')] }, 'tools[0].name'],
    [
      'the same tool name twice',
      { tools: [responseTool('get_weather'), responseTool('get_weather')] },
      'tools[1].name',
    ],
    [
      'tool parameters that are a string',
      { tools: [responseTool('f', { parameters: 'city' })] },
      'tools[0].parameters',
    ],
    ['tool_choice required without tools', { tool_choice: 'required' }, 'tool_choice'],
    [
      'a tool_choice naming no tool',
      { tools: [responseTool('get_weather')], tool_choice: { type: 'function', name: 'book' } },
      'tool_choice.name',
    ],
    [
      'an input_image whose image_url is not a URL',
      {
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'what is this?' },
              { type: 'input_image', image_url: 'picture.png' },
            ],
          },
        ],
      },
      'input[0].content[1].image_url',
    ],
    [
      'a function_call_output without call_id',
      { tools: [responseTool('get_weather')], input: [user, { type: 'function_call_output', output: 'x' }] },
      'input[1].call_id',
    ],
    [
      'a text.format schema that is a string',
      { text: { format: { type: 'json_schema', name: 'w', schema: 'object' } } },
      'text.format.schema',
    ],
    [
      'a text.format name with spaces',
      { text: { format: { type: 'json_schema', name: 'my format', schema: { type: 'object' } } } },
      'text.format.name',
    ],
  ];

  it.each(cases)('%s', async (_, body, param) => {
    const error = await badRequest(responses(body));
    expect(error.param).toBe(param);
  });

  it('the message speaks of the request’s field, not the task’s', async () => {
    const error = await badRequest(
      responses({ tools: [responseTool('get_weather'), responseTool('get_weather')] }),
    );
    expect(error.message).toContain('tools[1].name');
    expect(error.message).not.toContain('input.');
  });

  it('a streamed request names the request’s field too', async () => {
    const error = await badRequest(
      responses({ tools: [responseTool('get_weather'), responseTool('get_weather')], stream: true }),
    );
    expect(error.param).toBe('tools[1].name');
  });

  // instructions lead as a system turn and the two function_call items join the assistant's
  // message, so the task's messages[4] is input[5] here.
  it('a model’s own check of a tool result names the item’s call_id', async () => {
    const input = [
      user,
      { role: 'assistant', content: 'Let me look.' },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
      { type: 'function_call_output', call_id: 'call_2', output: 'sunny' },
      { type: 'function_call_output', call_id: 'call_9', output: 'rainy' },
    ];
    const error = await badRequest(
      responses({ instructions: 'Be brief.', input, tools: [responseTool('get_weather')] }, 'picky'),
    );
    expect(error.param).toBe('input[5].call_id');
  });

  it('a model’s refusal of the text.format schema names text.format.schema', async () => {
    const format = { type: 'json_schema', name: 'w', schema: { type: 'array' } };
    const error = await badRequest(responses({ text: { format } }, 'picky'));
    expect(error.param).toBe('text.format.schema');
  });
});

// Each of these is malformed on the wire: the answer is a 400 that names a field, never a 500.
const malformedResponses: [string, Record<string, unknown>][] = [
  ['tools: [null]', { tools: [null] }],
  ['a tool of an unknown type', { tools: [{ type: 'computer' }] }],
  ['a function tool without a name', { tools: [{ type: 'function', parameters }] }],
  ['tool_choice a number', { tools: [responseTool('f')], tool_choice: 42 }],
  [
    'tool_choice a function without a name',
    { tools: [responseTool('f')], tool_choice: { type: 'function' } },
  ],
  ['parallel_tool_calls a string', { tools: [responseTool('f')], parallel_tool_calls: 'yes' }],
  ['text.format without a type', { text: { format: {} } }],
  ['text.format json_schema without a schema', { text: { format: { type: 'json_schema', name: 'w' } } }],
  ['input an empty list', { input: [] }],
  ['input [null]', { input: [null] }],
  ['an input item of an unknown type', { input: [{ type: 'reasoning', summary: [] }] }],
  ['a message item without content', { input: [{ role: 'user' }] }],
  ['a content part without a type', { input: [{ role: 'user', content: [{ text: 'hi' }] }] }],
  ['an input_image without image_url', { input: [{ role: 'user', content: [{ type: 'input_image' }] }] }],
  [
    'an input_image by file_id',
    { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
  ],
  [
    'an input_image in an assistant message',
    { input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: pngDataUrl }] }] },
  ],
  [
    'a function_call without call_id',
    { tools: [responseTool('f')], input: [{ type: 'function_call', name: 'f', arguments: '{}' }] },
  ],
  [
    'function_call arguments that are not JSON',
    {
      tools: [responseTool('f')],
      input: [{ type: 'function_call', call_id: 'c1', name: 'f', arguments: '{city:' }],
    },
  ],
  [
    'a function_call_output whose output is a number',
    { tools: [responseTool('f')], input: [{ type: 'function_call_output', call_id: 'c1', output: 42 }] },
  ],
];

describe('the Responses API answers malformed tools, formats and items with a 400 naming a field', () => {
  it.each(malformedResponses)('%s', async (_, body) => {
    const error = await badRequest(responses(body));
    expect(error.param).toEqual(expect.any(String));
  });
});
