// The official openai SDK's tool and structured-output helpers (parse, runTools, stream), unmodified,
// against @mlkit/server on 127.0.0.1 serving the deterministic tool model.
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toolModel } from '../../../test/conformance/tool-model.ts';

const API_KEY = 'sk-tools-openai-sdk-0123456789';
const question = 'weather in Paris';
const messages = [{ role: 'user' as const, content: question }];

const Weather = z.object({
  city: z.string(),
  days: z.number().int().min(1),
  unit: z.enum(['celsius', 'fahrenheit']),
  tags: z.array(z.string()),
  note: z.string().nullable(),
});
// What the tool model makes of Weather's schema for the question: every field from the schema alone.
const expectedWeather = { city: question, days: 1, unit: 'celsius', tags: [question], note: question };

const Flight = z.object({ from: z.string(), seats: z.number().int().min(2) });

/** The function call among a message's tool calls (the SDK's type also allows custom tool calls). */
function functionCall<C extends { type: string }>(calls: C[] | undefined): Extract<C, { type: 'function' }> {
  const call = calls?.find((candidate) => candidate.type === 'function');
  if (!call) throw new Error(`expected a function tool call, got ${JSON.stringify(calls)}`);
  return call as Extract<C, { type: 'function' }>;
}

let listening: Listening;
let client: OpenAI;
const served = toolModel();
// Reads images, calls no tools.
const vision = toolModel({ capabilities: { images: true, tools: false } });

beforeAll(async () => {
  const server = createServer({
    models: { 'tool-model': served.model, 'vision-model': vision.model },
    apiKeys: [API_KEY],
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
});
afterAll(() => listening?.close({ graceMs: 1000 }));

describe('structured output through the openai SDK', () => {
  it('chat.completions.parse with zodResponseFormat gives message.parsed', async () => {
    const completion = await client.chat.completions.parse({
      model: 'tool-model',
      messages,
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    const message = completion.choices[0]!.message;
    expect(message.parsed).toEqual(expectedWeather);
    expect(Weather.parse(message.parsed)).toEqual(expectedWeather);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it('the model receives the response_format’s schema as responseFormat json', async () => {
    await client.chat.completions.parse({
      model: 'tool-model',
      messages,
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    const format = served.calls.inputs.at(-1)!.responseFormat;
    expect(format).toMatchObject({ type: 'json', name: 'weather' });
    expect(format?.type === 'json' && format.schema).toMatchObject({
      type: 'object',
      required: ['city', 'days', 'unit', 'tags', 'note'],
    });
  });

  it('chat.completions.stream with zodResponseFormat gives the parsed message at the end', async () => {
    const stream = client.chat.completions.stream({
      model: 'tool-model',
      messages,
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    const deltas: string[] = [];
    stream.on('content.delta', ({ delta }) => deltas.push(delta));
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]!.message.parsed).toEqual(expectedWeather);
    expect(deltas.length).toBeGreaterThan(1);
    expect(JSON.parse(deltas.join(''))).toEqual(expectedWeather);
  });

  it('json_object gives a JSON object answer', async () => {
    const completion = await client.chat.completions.create({
      model: 'tool-model',
      messages,
      response_format: { type: 'json_object' },
    });
    const content = completion.choices[0]!.message.content!;
    expect(JSON.parse(content)).toBeTypeOf('object');
    expect(served.calls.inputs.at(-1)!.responseFormat).toEqual({ type: 'json' });
  });
});

describe('tool calls through the openai SDK', () => {
  const getWeather = zodFunction({ name: 'get_weather', parameters: Weather });
  const bookFlight = zodFunction({ name: 'book_flight', parameters: Flight });

  it('chat.completions.create with tool_choice required answers with a tool call and finish_reason tool_calls', async () => {
    const completion = await client.chat.completions.create({
      model: 'tool-model',
      messages,
      tools: [getWeather, bookFlight],
      tool_choice: 'required',
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = functionCall(choice.message.tool_calls);
    expect(call.id).toMatch(/\S/);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual(expectedWeather);
  });

  it('tool_choice naming a function calls that one', async () => {
    const completion = await client.chat.completions.create({
      model: 'tool-model',
      messages,
      tools: [getWeather, bookFlight],
      tool_choice: { type: 'function', function: { name: 'book_flight' } },
    });
    const call = functionCall(completion.choices[0]!.message.tool_calls);
    expect(call.function.name).toBe('book_flight');
    expect(JSON.parse(call.function.arguments)).toEqual({ from: question, seats: 2 });
  });

  it('tool_choice none answers in text', async () => {
    const completion = await client.chat.completions.create({
      model: 'tool-model',
      messages,
      tools: [getWeather],
      tool_choice: 'none',
    });
    expect(completion.choices[0]!.message.content).toBe(`You said: ${question}`);
    expect(completion.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it('chat.completions.parse with zodFunction tools gives parsed_arguments', async () => {
    const completion = await client.chat.completions.parse({
      model: 'tool-model',
      messages,
      tools: [getWeather],
      tool_choice: 'required',
    });
    const call = functionCall(completion.choices[0]!.message.tool_calls);
    expect(call.function.parsed_arguments).toEqual(expectedWeather);
  });

  it('the model receives the tools with their JSON Schema parameters and the tool choice', async () => {
    await client.chat.completions.create({
      model: 'tool-model',
      messages,
      tools: [getWeather, bookFlight],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    const input = served.calls.inputs.at(-1)!;
    expect(input.tools?.map((tool) => tool.name)).toEqual(['get_weather', 'book_flight']);
    expect(input.tools?.[1]?.parameters).toMatchObject({
      type: 'object',
      properties: { seats: { type: 'integer', minimum: 2 } },
    });
    expect(input.toolChoice).toBe('required');
    expect(input.parallelToolCalls).toBe(false);
  });

  it('runTools with a zodFunction runs the tool with the parsed arguments and finishes with the answer after it', async () => {
    const seen: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: 'tool-model',
      messages,
      tools: [
        zodFunction({
          name: 'get_weather',
          parameters: Weather,
          function: (args) => {
            seen.push(args);
            return { forecast: 'sunny' };
          },
        }),
      ],
    });
    expect(await runner.finalContent()).toBe('The tool said: {"forecast":"sunny"}');
    expect(seen).toEqual([expectedWeather]);
    expect(runner.allChatCompletions()).toHaveLength(2);
  });

  it('runTools with a plain function tool and parse: JSON.parse runs it too', async () => {
    const seen: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: 'tool-model',
      messages,
      tools: [
        {
          type: 'function',
          function: {
            name: 'book_flight',
            description: 'Books a flight',
            parameters: z.toJSONSchema(Flight) as Record<string, unknown>,
            parse: JSON.parse,
            function: (args: unknown) => {
              seen.push(args);
              return 'booked';
            },
          },
        },
      ],
    });
    expect(await runner.finalContent()).toBe('The tool said: booked');
    expect(seen).toEqual([{ from: question, seats: 2 }]);
  });

  it('the second turn of runTools sends the assistant’s tool call and the tool’s result back', async () => {
    const runner = client.chat.completions.runTools({
      model: 'tool-model',
      messages,
      tools: [zodFunction({ name: 'get_weather', parameters: Weather, function: () => 'sunny' })],
    });
    await runner.finalContent();
    const turns = served.calls.inputs.at(-1)!;
    if (!('messages' in turns)) throw new Error('expected messages');
    const [, assistant, tool] = turns.messages;
    expect(assistant).toMatchObject({ role: 'assistant', toolCalls: [{ name: 'get_weather' }] });
    const callId = assistant?.role === 'assistant' ? assistant.toolCalls?.[0]?.id : undefined;
    expect(tool).toEqual({ role: 'tool', toolCallId: callId, content: 'sunny' });
  });

  it('runTools with stream: true runs the tool and streams the answer after it', async () => {
    const seen: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: 'tool-model',
      messages,
      stream: true,
      tools: [
        zodFunction({
          name: 'get_weather',
          parameters: Weather,
          function: (args) => {
            seen.push(args);
            return 'rain';
          },
        }),
      ],
    });
    expect(await runner.finalContent()).toBe('The tool said: rain');
    expect(seen).toEqual([expectedWeather]);
  });

  it('chat.completions.stream with tools streams argument deltas and gives the whole call in finalChatCompletion', async () => {
    const stream = client.chat.completions.stream({
      model: 'tool-model',
      messages,
      tools: [getWeather],
      tool_choice: 'required',
    });
    const deltas: string[] = [];
    const done: unknown[] = [];
    stream.on('tool_calls.function.arguments.delta', ({ arguments_delta }) => deltas.push(arguments_delta));
    stream.on('tool_calls.function.arguments.done', ({ name, parsed_arguments }) =>
      done.push({ name, parsed_arguments }),
    );
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = functionCall(choice.message.tool_calls);
    expect(call.function.name).toBe('get_weather');
    expect(call.function.parsed_arguments).toEqual(expectedWeather);
    expect(deltas.length).toBeGreaterThan(1);
    expect(JSON.parse(deltas.join(''))).toEqual(expectedWeather);
    expect(done).toEqual([{ name: 'get_weather', parsed_arguments: expectedWeather }]);
  });
});

describe('the Responses API through the openai SDK', () => {
  it('responses.create with a function tool answers with a function_call item', async () => {
    const response = await client.responses.create({
      model: 'tool-model',
      input: question,
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          parameters: z.toJSONSchema(Weather) as Record<string, unknown>,
          strict: true,
        },
      ],
      tool_choice: 'required',
    });
    const call = response.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual(expectedWeather);
  });

  it('responses.parse with zodTextFormat gives output_parsed', async () => {
    const response = await client.responses.parse({
      model: 'tool-model',
      input: question,
      text: { format: zodTextFormat(Weather, 'weather') },
    });
    expect(response.output_parsed).toEqual(expectedWeather);
  });
});

describe('image parts through the openai SDK', () => {
  const pngDataUrl =
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

  it('an image_url part reaches a model with capabilities.images as an image part', async () => {
    const completion = await client.chat.completions.create({
      model: 'vision-model',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: pngDataUrl } },
          ],
        },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('You said: What is this? [image]');
    const input = vision.calls.inputs.at(-1)!;
    expect('messages' in input && input.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', image: pngDataUrl },
      ],
    });
  });

  it('an image_url part to a model without capabilities.images is a BadRequestError naming the part', async () => {
    const error = await client.chat.completions
      .create({
        model: 'tool-model',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: pngDataUrl } }] }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toMatch(
      /^messages\[0\]\.content\[0\]/,
    );
  });

  it('tools to a model without capabilities.tools is a BadRequestError with param tools', async () => {
    const error = await client.chat.completions
      .create({
        model: 'vision-model',
        messages,
        tools: [zodFunction({ name: 'get_weather', parameters: Weather })],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tools');
  });
});
