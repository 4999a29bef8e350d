// What the server answers when tools, response_format or image parts cannot be served: a 400 that
// names the field for what the model cannot do or what is malformed, a 502 for a model's answer
// that breaks the request's schema, and never a 500.
import { createServer } from '@mlkit/server';
import { describe, expect, it, vi } from 'vitest';
import { toolModel } from '../../../test/conformance/tool-model.ts';
import { fakeChatModel, postJson } from './fakes.ts';

function setup() {
  const logger = { error: vi.fn(), warn: vi.fn() };
  const server = createServer({
    models: {
      'text-only': fakeChatModel().model,
      tools: toolModel().model,
      broken: toolModel({ broken: true }).model,
    },
    logger,
  });
  return { server, logger };
}

const user = { role: 'user', content: 'weather in Paris' };
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};
const weatherFormat = {
  type: 'json_schema',
  json_schema: {
    name: 'weather',
    strict: true,
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, celsius: { type: 'number' } },
      required: ['city', 'celsius'],
      additionalProperties: false,
    },
  },
};
const pngDataUrl =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const imageMessage = {
  role: 'user',
  content: [
    { type: 'text', text: 'What is in this picture?' },
    { type: 'image_url', image_url: { url: pngDataUrl } },
  ],
};

async function chat(body: Record<string, unknown>, model = 'tools') {
  const { server, logger } = setup();
  const response = await postJson(server, '/v1/chat/completions', { model, messages: [user], ...body });
  return { status: response.status, body: await response.json(), logger };
}

describe('chat completions refuses what the served model cannot do, naming the field', () => {
  it('answers 400 naming tools when the model has no capabilities.tools', async () => {
    const { status, body } = await chat({ tools: [weatherTool] }, 'text-only');
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'tools' });
  });

  it('answers 400 naming response_format for json_schema when the model has no capabilities.jsonSchema', async () => {
    const { status, body } = await chat({ response_format: weatherFormat }, 'text-only');
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'response_format' });
  });

  it('answers 400 naming the image part when the model has no capabilities.images', async () => {
    const { status, body } = await chat({ messages: [imageMessage] }, 'tools');
    expect(status).toBe(400);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.param).toMatch(/^messages\[0\]\.content\[1\]/);
  });
});

async function responses(body: Record<string, unknown>, model = 'tools') {
  const { server } = setup();
  const response = await postJson(server, '/v1/responses', { model, input: 'weather in Paris', ...body });
  return { status: response.status, body: await response.json() };
}

describe('the Responses API refuses what the served model cannot do, naming the field', () => {
  const { function: weather } = weatherTool;

  it('answers 400 naming tools when the model has no capabilities.tools', async () => {
    const { status, body } = await responses({ tools: [{ type: 'function', ...weather }] }, 'text-only');
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'tools' });
  });

  it('answers 400 naming text.format for json_schema when the model has no capabilities.jsonSchema', async () => {
    const { json_schema: format } = weatherFormat;
    const { status, body } = await responses(
      { text: { format: { type: 'json_schema', name: format.name, schema: format.schema } } },
      'text-only',
    );
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'text.format' });
  });

  it('answers 400 naming the input_image part when the model has no capabilities.images', async () => {
    const input = [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is in this picture?' },
          { type: 'input_image', image_url: pngDataUrl },
        ],
      },
    ];
    const { status, body } = await responses({ input }, 'tools');
    expect(status).toBe(400);
    expect(body.error.param).toMatch(/^input\[0\]\.content\[1\]/);
  });

  it('answers 502 invalid_output for tool-call arguments that do not match the tool’s parameters', async () => {
    const { status, body } = await responses(
      { tools: [{ type: 'function', ...weather }], tool_choice: 'required' },
      'broken',
    );
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ code: 'invalid_output', param: null });
  });
});

describe('chat completions answers malformed tools with 400 naming the field', () => {
  it('tools that are not an array', async () => {
    const { status, body } = await chat({ tools: { type: 'function' } });
    expect(status).toBe(400);
    expect(body.error.param).toMatch(/^tools/);
  });

  it('a tool without a name', async () => {
    const { status, body } = await chat({
      tools: [{ type: 'function', function: { parameters: { type: 'object' } } }],
    });
    expect(status).toBe(400);
    expect(body.error.param).toMatch(/^tools\[0\]\.function(\.name)?$/);
  });

  it('parameters that are not an object', async () => {
    const { status, body } = await chat({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: 'city: string' } }],
    });
    expect(status).toBe(400);
    expect(body.error.param).toMatch(/^tools\[0\]\.function\.parameters/);
  });

  it('a tool_choice that names no tool of the request', async () => {
    const { status, body } = await chat({
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'book_flight' } },
    });
    expect(status).toBe(400);
    expect(body.error.param).toMatch(/^tool_choice/);
    expect(body.error.message).toContain('book_flight');
  });
});

// Each of these once reached a code path that could throw something other than a typed error.
const malformed: [string, Record<string, unknown>][] = [
  ['tools: [null]', { tools: [null] }],
  ['a tool of an unknown type', { tools: [{ type: 'computer', computer: {} }] }],
  ['a function that is a string', { tools: [{ type: 'function', function: 'get_weather' }] }],
  ['a tool name with spaces', { tools: [{ type: 'function', function: { name: 'get the weather' } }] }],
  ['the same tool twice', { tools: [weatherTool, weatherTool] }],
  [
    'parameters that are an array',
    { tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] },
  ],
  ['tool_choice a number', { tools: [weatherTool], tool_choice: 42 }],
  ['tool_choice an unknown word', { tools: [weatherTool], tool_choice: 'sometimes' }],
  ['tool_choice a function without a name', { tools: [weatherTool], tool_choice: { type: 'function' } }],
  ['tool_choice required without tools', { tool_choice: 'required' }],
  ['parallel_tool_calls a string', { tools: [weatherTool], parallel_tool_calls: 'yes' }],
  ['response_format without a type', { response_format: {} }],
  ['response_format of an unknown type', { response_format: { type: 'yaml' } }],
  ['json_schema without json_schema', { response_format: { type: 'json_schema' } }],
  [
    'json_schema whose schema is a string',
    { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: 'object' } } },
  ],
  [
    'json_schema whose name has spaces',
    { response_format: { type: 'json_schema', json_schema: { name: 'my format', schema: {} } } },
  ],
  [
    'an image_url that is a string',
    { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: pngDataUrl }] }] },
  ],
  [
    'an image_url whose url is a number',
    { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 42 } }] }] },
  ],
  [
    'an image_url that is not a URL',
    { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'picture.png' } }] }] },
  ],
  ['a content part without a type', { messages: [{ role: 'user', content: [{ text: 'hi' }] }] }],
  ['a tool message without tool_call_id', { messages: [user, { role: 'tool', content: '{}' }] }],
  ['assistant tool_calls that are not an array', { messages: [user, { role: 'assistant', tool_calls: {} }] }],
  [
    'an assistant tool call without a function',
    { messages: [user, { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function' }] }] },
  ],
];

// Well-formed on the wire but odd: whatever the server makes of them, it is not a 500. (A schema
// that cannot be read is found only when the answer is checked, so today it is a 502.)
const odd: [string, Record<string, unknown>][] = [
  [
    'assistant tool call arguments that are not JSON',
    {
      messages: [
        user,
        {
          role: 'assistant',
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{city:' } },
          ],
        },
      ],
    },
  ],
  [
    'tool parameters that JSON Schema readers do not know',
    {
      tools: [
        {
          type: 'function',
          function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'frob' } } } },
        },
      ],
      tool_choice: 'required',
    },
  ],
  [
    'a response_format schema with a $ref to nowhere',
    { response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { $ref: '#/nowhere' } } } },
  ],
];

describe('chat completions never answers 500 for malformed tools, formats or images', () => {
  it.each(odd)('answers other than 500 for %s', async (_, body) => {
    for (const model of ['tools', 'text-only']) {
      const { status } = await chat(body, model);
      expect({ model, status }).toEqual({ model, status: expect.toSatisfy((s: number) => s !== 500) });
    }
  });

  it.each(malformed)('answers 4xx for %s', async (_, body) => {
    for (const model of ['tools', 'text-only']) {
      const { status, logger } = await chat(body, model);
      expect({ model, status }).toEqual({
        model,
        status: expect.toSatisfy((s: number) => s >= 400 && s < 500),
      });
      expect(logger.error).not.toHaveBeenCalled();
    }
  });
});

describe('a model whose answer breaks the request’s schema', () => {
  it('answers 502 invalid_output for tool-call arguments that do not match the tool’s parameters', async () => {
    const { status, body } = await chat({ tools: [weatherTool], tool_choice: 'required' }, 'broken');
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ type: 'server_error', code: 'invalid_output', param: null });
    expect(body.error.message).toContain('get_weather');
  });

  it('answers 502 invalid_output for a JSON answer that does not match response_format', async () => {
    const { status, body } = await chat({ response_format: weatherFormat }, 'broken');
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ type: 'server_error', code: 'invalid_output', param: null });
  });

  it('ends a stream with an invalid_output error event when a streamed tool call breaks its schema', async () => {
    const { server } = setup();
    const response = await postJson(server, '/v1/chat/completions', {
      model: 'broken',
      messages: [user],
      tools: [weatherTool],
      tool_choice: 'required',
      stream: true,
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split('\n\n')
      .map((event) => event.replace(/^data: /, '').trim())
      .filter((data) => data.length > 0 && data !== '[DONE]')
      .map((data) => JSON.parse(data));
    expect(events.at(-1)).toMatchObject({ error: { code: 'invalid_output' } });
  });
});
