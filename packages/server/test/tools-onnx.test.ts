// Tools and structured output from the local ONNX decoder (the tiny-gpt-tools fixture: random
// weights, a Qwen2.5-style chat template with <tool_call>), served by @mlkit/server and called with
// the official openai SDK and the AI SDK. The weights are random, so the values are arbitrary; what
// constrained decoding guarantees is the shape: the parsed object and the tool call's arguments
// validate against their schemas, and the tool called is one of the request's.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { Model, TextGenerationTask } from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { generateObject, generateText, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';

const API_KEY = 'sk-tools-onnx-0123456789';
const question = 'What is the weather in Paris?';
const messages = [{ role: 'user' as const, content: question }];

// Bounded so that a random model finishes the document well within max_tokens.
const Weather = z.object({
  unit: z.enum(['celsius', 'fahrenheit']),
  sunny: z.boolean(),
  city: z.string().max(8),
});
const Flight = z.object({ seats: z.enum(['one', 'two']), window: z.boolean() });
const toolSchemas: Record<string, z.ZodType> = { get_weather: Weather, book_flight: Flight };

let listening: Listening;
let client: OpenAI;
let compatible: ReturnType<typeof createOpenAICompatible>;
let gpt: Model<TextGenerationTask>;

beforeAll(async () => {
  ensureFixtures();
  gpt = await loadModel(fixturePath('tiny-gpt-tools'), { task: 'text-generation' });
  const server = createServer({ models: { 'tiny-gpt-tools': gpt }, apiKeys: [API_KEY] });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  const baseURL = `${listening.url}/v1`;
  client = new OpenAI({ baseURL, apiKey: API_KEY, maxRetries: 0 });
  compatible = createOpenAICompatible({
    baseURL,
    name: 'mlkit',
    apiKey: API_KEY,
    supportsStructuredOutputs: true,
  });
}, 60_000);
afterAll(() => listening?.close({ graceMs: 1000 })); // disposes the model

/** The call's tool is one of the request's and its arguments validate against that tool's schema. */
function expectValidCall(name: string, args: unknown) {
  expect(Object.keys(toolSchemas)).toContain(name);
  const check = toolSchemas[name]!.safeParse(args);
  expect(check.success, JSON.stringify(check.error?.issues)).toBe(true);
}

/** The function call among a message's tool calls (the SDK's type also allows custom tool calls). */
function functionCall<C extends { type: string }>(calls: C[] | undefined): Extract<C, { type: 'function' }> {
  const call = calls?.find((candidate) => candidate.type === 'function');
  if (!call) throw new Error(`expected a function tool call, got ${JSON.stringify(calls)}`);
  return call as Extract<C, { type: 'function' }>;
}

describe('the local ONNX decoder behind the server, with the openai SDK', () => {
  it('declares tools and jsonSchema, so the server serves them', () => {
    expect(gpt.capabilities).toMatchObject({ tools: true, jsonSchema: true });
  });

  it('chat.completions.parse with zodResponseFormat gives a parsed object that validates', async () => {
    const completion = await client.chat.completions.parse({
      model: 'tiny-gpt-tools',
      messages,
      max_tokens: 200,
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(Weather.safeParse(message.parsed).success).toBe(true);
    expect(JSON.parse(message.content!)).toEqual(message.parsed);
  });

  it('chat.completions.create with tool_choice required answers with a call of one of the tools', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-gpt-tools',
      messages,
      max_tokens: 200,
      tools: [
        zodFunction({ name: 'get_weather', parameters: Weather }),
        zodFunction({ name: 'book_flight', parameters: Flight }),
      ],
      tool_choice: 'required',
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = functionCall(choice.message.tool_calls);
    expect(call.id).toMatch(/\S/);
    expectValidCall(call.function.name, JSON.parse(call.function.arguments));
  });

  it('tool_choice naming a function makes the model call that one', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-gpt-tools',
      messages,
      max_tokens: 200,
      tools: [
        zodFunction({ name: 'get_weather', parameters: Weather }),
        zodFunction({ name: 'book_flight', parameters: Flight }),
      ],
      tool_choice: { type: 'function', function: { name: 'book_flight' } },
    });
    const call = functionCall(completion.choices[0]!.message.tool_calls);
    expect(call.function.name).toBe('book_flight');
    expectValidCall('book_flight', JSON.parse(call.function.arguments));
  });

  it('chat.completions.stream with tools gives the whole call in finalChatCompletion', async () => {
    const stream = client.chat.completions.stream({
      model: 'tiny-gpt-tools',
      messages,
      max_tokens: 200,
      tools: [zodFunction({ name: 'get_weather', parameters: Weather })],
      tool_choice: 'required',
    });
    const deltas: string[] = [];
    stream.on('tool_calls.function.arguments.delta', ({ arguments_delta }) => deltas.push(arguments_delta));
    const completion = await stream.finalChatCompletion();
    const call = functionCall(completion.choices[0]!.message.tool_calls);
    expect(call.function.name).toBe('get_weather');
    expectValidCall('get_weather', call.function.parsed_arguments);
    expect(JSON.parse(deltas.join(''))).toEqual(call.function.parsed_arguments);
  });
});

describe('the local ONNX decoder behind the server, with the AI SDK (@ai-sdk/openai-compatible)', () => {
  const tools = {
    get_weather: tool({
      description: 'The weather in a city',
      inputSchema: Weather,
      execute: async () => 'sunny',
    }),
    book_flight: tool({ description: 'Books a flight', inputSchema: Flight, execute: async () => 'booked' }),
  };

  it('generateObject gives an object that validates against the schema', async () => {
    const result = await generateObject({
      model: compatible.chatModel('tiny-gpt-tools'),
      schema: Weather,
      prompt: question,
      maxOutputTokens: 200,
    });
    expect(Weather.safeParse(result.object).success).toBe(true);
  });

  it('generateText with toolChoice required reports a call of one of the tools, its input valid', async () => {
    const result = await generateText({
      model: compatible.chatModel('tiny-gpt-tools'),
      tools,
      toolChoice: 'required',
      prompt: question,
      maxOutputTokens: 200,
    });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls.length).toBeGreaterThan(0);
    for (const call of result.toolCalls) expectValidCall(call.toolName, call.input);
  });

  it('streamText with toolChoice required streams a call of one of the tools, its input valid', async () => {
    const result = streamText({
      model: compatible.chatModel('tiny-gpt-tools'),
      tools,
      toolChoice: 'required',
      prompt: question,
      maxOutputTokens: 200,
    });
    const calls = await result.toolCalls;
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expectValidCall(call.toolName, call.input);
    expect(await result.finishReason).toBe('tool-calls');
  });
});
