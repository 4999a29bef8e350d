// The Vercel AI SDK's structured output and tools, through `@ai-sdk/openai-compatible` (what users
// point at OpenAI-compatible servers) and `@ai-sdk/openai`, unmodified, against @mlkit/server on
// 127.0.0.1 serving the deterministic tool model.
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { generateObject, generateText, isStepCount, Output, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toolModel } from '../../../test/conformance/tool-model.ts';

const API_KEY = 'sk-tools-ai-sdk-0123456789';
const question = 'weather in Paris';

const Weather = z.object({
  city: z.string(),
  days: z.number().int().min(1),
  unit: z.enum(['celsius', 'fahrenheit']),
  tags: z.array(z.string()),
});
// What the tool model makes of Weather's schema for the question: every field from the schema alone.
const expectedWeather = { city: question, days: 1, unit: 'celsius', tags: [question] };
const Flight = z.object({ from: z.string(), seats: z.number().int().min(2) });

let listening: Listening;
let compatible: ReturnType<typeof createOpenAICompatible>;
let openai: ReturnType<typeof createOpenAI>;
const served = toolModel();

beforeAll(async () => {
  const server = createServer({ models: { 'tool-model': served.model }, apiKeys: [API_KEY] });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  const baseURL = `${listening.url}/v1`;
  // supportsStructuredOutputs: send the schema as response_format json_schema (json_object without it).
  compatible = createOpenAICompatible({
    baseURL,
    name: 'mlkit',
    apiKey: API_KEY,
    supportsStructuredOutputs: true,
  });
  openai = createOpenAI({ baseURL, apiKey: API_KEY });
});
afterAll(() => listening?.close({ graceMs: 1000 }));

/** Tools whose calls are recorded in `seen`. */
function weatherTools(seen: unknown[]) {
  return {
    get_weather: tool({
      description: 'The weather in a city',
      inputSchema: Weather,
      execute: async (input) => {
        seen.push(input);
        return { forecast: 'sunny' };
      },
    }),
    book_flight: tool({
      description: 'Books a flight',
      inputSchema: Flight,
      execute: async (input) => {
        seen.push(input);
        return 'booked';
      },
    }),
  };
}

describe('structured output through @ai-sdk/openai-compatible', () => {
  it('generateObject gives the object, valid against the schema', async () => {
    const result = await generateObject({
      model: compatible.chatModel('tool-model'),
      schema: Weather,
      prompt: question,
    });
    expect(result.object).toEqual(expectedWeather);
    expect(result.finishReason).toBe('stop');
  });

  it('generateText with output: Output.object gives the object', async () => {
    const result = await generateText({
      model: compatible.chatModel('tool-model'),
      output: Output.object({ schema: Weather, name: 'weather' }),
      prompt: question,
    });
    expect(result.output).toEqual(expectedWeather);
    expect(served.calls.inputs.at(-1)!.responseFormat).toMatchObject({ type: 'json', name: 'weather' });
  });

  it('streamText with output: Output.object streams the document and gives the object', async () => {
    const result = streamText({
      model: compatible.chatModel('tool-model'),
      output: Output.object({ schema: Weather }),
      prompt: question,
    });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(await result.output).toEqual(expectedWeather);
  });
});

describe('tools through @ai-sdk/openai-compatible', () => {
  it('generateText with toolChoice required calls the tool, runs it and reports the call', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: compatible.chatModel('tool-model'),
      tools: weatherTools(seen),
      toolChoice: 'required',
      prompt: question,
    });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: expectedWeather });
    expect(result.toolResults[0]).toMatchObject({ toolName: 'get_weather', output: { forecast: 'sunny' } });
    expect(seen).toEqual([expectedWeather]);
  });

  it('toolChoice naming a tool calls that one', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: compatible.chatModel('tool-model'),
      tools: weatherTools(seen),
      toolChoice: { type: 'tool', toolName: 'book_flight' },
      prompt: question,
    });
    expect(result.toolCalls[0]).toMatchObject({
      toolName: 'book_flight',
      input: { from: question, seats: 2 },
    });
    expect(seen).toEqual([{ from: question, seats: 2 }]);
  });

  it('generateText over two steps sends the tool result back and ends with the answer after it', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: compatible.chatModel('tool-model'),
      tools: weatherTools(seen),
      stopWhen: isStepCount(3),
      prompt: question,
    });
    expect(result.steps).toHaveLength(2);
    expect(result.text).toBe('The tool said: {"forecast":"sunny"}');
    expect(result.finishReason).toBe('stop');
    const second = served.calls.inputs.at(-1)!;
    expect('messages' in second && second.messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
    ]);
  });

  it('streamText with tools streams tool-input deltas, then the call and its result', async () => {
    const seen: unknown[] = [];
    const result = streamText({
      model: compatible.chatModel('tool-model'),
      tools: weatherTools(seen),
      toolChoice: 'required',
      prompt: question,
    });
    const deltas: string[] = [];
    const types: string[] = [];
    for await (const part of result.fullStream) {
      types.push(part.type);
      if (part.type === 'tool-input-delta') deltas.push(part.delta);
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(JSON.parse(deltas.join(''))).toEqual(expectedWeather);
    expect(types.indexOf('tool-call')).toBeGreaterThan(types.lastIndexOf('tool-input-delta'));
    expect(types).toContain('tool-result');
    expect(await result.toolCalls).toMatchObject([{ toolName: 'get_weather', input: expectedWeather }]);
    expect(await result.finishReason).toBe('tool-calls');
    expect(seen).toEqual([expectedWeather]);
  });
});

describe('tools and structured output through @ai-sdk/openai', () => {
  it('openai.chat(id): generateText with tools calls the tool', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: openai.chat('tool-model'),
      tools: weatherTools(seen),
      toolChoice: 'required',
      prompt: question,
    });
    expect(result.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: expectedWeather });
    expect(seen).toEqual([expectedWeather]);
  });

  it('openai(id) over the Responses API: generateText with tools calls the tool', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: openai('tool-model'),
      tools: weatherTools(seen),
      toolChoice: 'required',
      prompt: question,
    });
    expect(result.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: expectedWeather });
    expect(seen).toEqual([expectedWeather]);
  });

  it('openai(id) over the Responses API: generateObject gives the object', async () => {
    const result = await generateObject({ model: openai('tool-model'), schema: Weather, prompt: question });
    expect(result.object).toEqual(expectedWeather);
  });
});
