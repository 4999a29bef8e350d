// /v1/responses with function tools, structured output (text.format) and images, through the
// official openai SDK, unmodified, against @mlkit/server on 127.0.0.1, serving a defineModel model
// that declares tools, jsonSchema and images and answers deterministically from its input.
import type { ParsedInputOf, TextGenerationTask } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { zodResponsesFunction, zodTextFormat } from 'openai/helpers/zod';
import type { ResponseFunctionToolCall, ResponseInputItem } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toolModel } from '../../../test/conformance/tool-model.ts';
import { fakeChatModel } from './fakes.ts';

type Input = ParsedInputOf<TextGenerationTask>;

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The current weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};
const time = {
  type: 'function' as const,
  name: 'get_time',
  parameters: {
    type: 'object',
    properties: { zone: { type: 'string' } },
    required: ['zone'],
    additionalProperties: false,
  },
  strict: true,
};

let listening: Listening;
let client: OpenAI;
let seen: Input[];

beforeAll(async () => {
  const tools = toolModel({ parallel: true, capabilities: { images: true } });
  seen = tools.calls.inputs;
  const server = createServer({ models: { tools: tools.model, 'text-only': fakeChatModel().model } });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: 'none', maxRetries: 0 });
});
afterAll(() => listening.close({ graceMs: 1000 }));
beforeEach(() => {
  seen.length = 0;
});

const functionCalls = (output: { type: string }[]) =>
  output.filter((item): item is ResponseFunctionToolCall => item.type === 'function_call');

describe('responses.create with function tools', () => {
  it('answers the model’s tool call as a function_call item with its call_id and JSON arguments', async () => {
    const response = await client.responses.create({ model: 'tools', input: 'Paris', tools: [weather] });
    expect(response.status).toBe('completed');
    expect(response.output).toEqual([
      expect.objectContaining({
        type: 'function_call',
        id: expect.stringMatching(/^fc_/),
        call_id: 'call_get_weather_1_0',
        name: 'get_weather',
        status: 'completed',
      }),
    ]);
    expect(JSON.parse(functionCalls(response.output)[0]!.arguments)).toEqual({ city: 'Paris' });
    expect(response.output_text).toBe('');
  });

  it('hands the model the tools with their description and parameters', async () => {
    await client.responses.create({
      model: 'tools',
      input: 'Paris',
      tools: [weather],
      tool_choice: 'required',
    });
    expect(seen[0]).toMatchObject({
      tools: [{ name: 'get_weather', description: weather.description, parameters: weather.parameters }],
      toolChoice: 'required',
    });
  });

  it('takes the calls and their results back as input and answers with the result', async () => {
    const input: ResponseInputItem[] = [{ role: 'user', content: 'Paris' }];
    const first = await client.responses.create({ model: 'tools', input, tools: [weather] });
    const call = functionCalls(first.output)[0]!;
    const second = await client.responses.create({
      model: 'tools',
      tools: [weather],
      input: [
        ...input,
        // What OpenAI's docs do: the response's output items go back as input as they are.
        ...(first.output as ResponseInputItem[]),
        { type: 'function_call_output', call_id: call.call_id, output: '21 °C' },
      ],
    });
    expect(second.output_text).toBe('The tool said: 21 °C');
    expect(seen[1]).toMatchObject({
      messages: [
        { role: 'user', content: 'Paris' },
        {
          role: 'assistant',
          toolCalls: [{ id: call.call_id, name: 'get_weather', arguments: { city: 'Paris' } }],
        },
        { role: 'tool', toolCallId: call.call_id, content: '21 °C' },
      ],
    });
  });

  it('calls only the tool that tool_choice names', async () => {
    const response = await client.responses.create({
      model: 'tools',
      input: 'UTC',
      tools: [weather, time],
      tool_choice: { type: 'function', name: 'get_time' },
    });
    expect(functionCalls(response.output).map((call) => call.name)).toEqual(['get_time']);
  });

  it('lists each parallel call, and one call with parallel_tool_calls false', async () => {
    const both = await client.responses.create({ model: 'tools', input: 'x', tools: [weather, time] });
    expect(functionCalls(both.output).map((call) => call.name)).toEqual(['get_weather', 'get_time']);
    const one = await client.responses.create({
      model: 'tools',
      input: 'x',
      tools: [weather, time],
      parallel_tool_calls: false,
    });
    expect(functionCalls(one.output).map((call) => call.name)).toEqual(['get_weather']);
    expect(one.parallel_tool_calls).toBe(false);
  });

  it('parses a zodResponsesFunction tool’s arguments with responses.parse', async () => {
    const tool = zodResponsesFunction({ name: 'lookup', parameters: z.object({ city: z.string() }) });
    const response = await client.responses.parse({ model: 'tools', input: 'Oslo', tools: [tool] });
    expect(functionCalls(response.output)[0]).toMatchObject({
      name: 'lookup',
      parsed_arguments: { city: 'Oslo' },
    });
  });
});

describe('responses.create with text.format', () => {
  const format = {
    type: 'json_schema' as const,
    name: 'city',
    schema: {
      type: 'object',
      properties: { name: { type: 'string' }, letters: { type: 'integer' } },
      required: ['name', 'letters'],
      additionalProperties: false,
    },
    strict: true,
  };

  it('answers JSON text matching the json_schema in output_text', async () => {
    const response = await client.responses.create({ model: 'tools', input: 'Lima', text: { format } });
    expect(JSON.parse(response.output_text)).toEqual({ name: 'Lima', letters: 1 });
    expect(seen[0]).toMatchObject({ responseFormat: { type: 'json', name: 'city', schema: format.schema } });
    expect(response.text?.format).toMatchObject({ type: 'json_schema', name: 'city' });
  });

  it('gives responses.parse with zodTextFormat the parsed object as output_parsed', async () => {
    const City = z.object({ name: z.string(), letters: z.number().int() });
    const response = await client.responses.parse({
      model: 'tools',
      input: 'Quito',
      text: { format: zodTextFormat(City, 'city') },
    });
    expect(response.output_parsed).toEqual({ name: 'Quito', letters: 1 });
  });

  it('answers a JSON object for json_object', async () => {
    const response = await client.responses.create({
      model: 'tools',
      input: 'Bern',
      text: { format: { type: 'json_object' } },
    });
    expect(JSON.parse(response.output_text)).toEqual({ text: 'Bern' });
  });
});

describe('responses.stream', () => {
  it('streams each tool call’s arguments in deltas that finalResponse() joins', async () => {
    const stream = client.responses.stream({ model: 'tools', input: 'Paris', tools: [weather, time] });
    const types: string[] = [];
    const deltas: Record<string, string> = {};
    stream.on('event', (event) => types.push(event.type));
    stream.on('response.function_call_arguments.delta', (event) => {
      deltas[event.item_id] = (deltas[event.item_id] ?? '') + event.delta;
    });
    const final = await stream.finalResponse();
    const calls = functionCalls(final.output);
    expect(calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { zone: 'Paris' }],
    ]);
    expect(calls.map((call) => deltas[call.id!])).toEqual(calls.map((call) => call.arguments));
    const perCall = [
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
    ];
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      ...perCall,
      ...perCall,
      'response.completed',
    ]);
  });

  it('gives finalResponse() the parsed object of a zodTextFormat', async () => {
    const City = z.object({ name: z.string() });
    const stream = client.responses.stream({
      model: 'tools',
      input: 'Accra',
      text: { format: zodTextFormat(City, 'city') },
    });
    const final = await stream.finalResponse();
    expect(final.output_parsed).toEqual({ name: 'Accra' });
  });

  it('sends a refusal as a refusal part that finalResponse() keeps out of output_text', async () => {
    const stream = client.responses.stream({ model: 'tools', input: 'refuse this' });
    const final = await stream.finalResponse();
    expect(final.output).toEqual([
      expect.objectContaining({
        type: 'message',
        content: [expect.objectContaining({ type: 'refusal', refusal: 'I will not do that.' })],
      }),
    ]);
    expect(final.output_text).toBe('');
  });
});

describe('input_image parts', () => {
  it('reach a model that reads images as image parts', async () => {
    const response = await client.responses.create({
      model: 'tools',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'what is this' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
            // An http(s) URL to a local model is refused unless mediaUrls allows its host (media-urls.test.ts).
            { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'low' },
          ],
        },
      ],
    });
    expect(response.output_text).toBe('You said: what is this [image] [image]');
    expect(seen[0]).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image', image: 'data:image/png;base64,iVBORw0KGgo=' },
            { type: 'image', image: 'data:image/jpeg;base64,/9j/4AAQ' },
          ],
        },
      ],
    });
  });
});

describe('what a model cannot honour', () => {
  const refused = { status: 400, code: 'unsupported_parameter' };

  it('refuses tools with param "tools" for a model without capabilities.tools', async () => {
    await expect(
      client.responses.create({ model: 'text-only', input: 'x', tools: [weather] }),
    ).rejects.toMatchObject({
      ...refused,
      param: 'tools',
    });
  });

  it('refuses text.format json_schema with param "text.format" for a model without capabilities.jsonSchema', async () => {
    const format = { type: 'json_schema' as const, name: 'x', schema: { type: 'object' } };
    await expect(
      client.responses.create({ model: 'text-only', input: 'x', text: { format } }),
    ).rejects.toMatchObject({ ...refused, param: 'text.format' });
  });

  it('refuses an input_image for a model without capabilities.images, naming the part', async () => {
    await expect(
      client.responses.create({
        model: 'text-only',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'x' },
              { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'auto' },
            ],
          },
        ],
      }),
    ).rejects.toMatchObject({ ...refused, param: 'input[0].content[1].type' });
  });

  it('refuses a hosted tool by its type', async () => {
    await expect(
      client.responses.create({ model: 'tools', input: 'x', tools: [weather, { type: 'web_search' }] }),
    ).rejects.toMatchObject({ ...refused, param: 'tools[1].type' });
  });

  it('answers a function tool without a name with a 400 naming the field, not a 500', async () => {
    const response = await fetch(`${listening.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tools', input: 'x', tools: [{ type: 'function', parameters: {} }] }),
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('body.tools[0].name'),
    });
  });

  it('answers a function_call_output without call_id with a 400 naming the field', async () => {
    const error = await client.responses
      .create({
        model: 'tools',
        tools: [weather],
        input: [{ type: 'function_call_output', output: 'x' }],
      } as never)
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain('body.input[0].call_id');
  });
});
