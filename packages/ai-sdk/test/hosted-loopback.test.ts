// Both directions against a real OpenAI-compatible HTTP server on 127.0.0.1 (test/support's
// deterministic loopback: echoes the last user message, calls the first tool with arguments sampled
// from its schema, answers json_schema with a sampled document, hashes texts into embeddings).
// fromMlkit: mlkit's hosted client inside the real `ai` 7. toMlkit: @ai-sdk/openai-compatible as an
// mlkit Model inside fallback and meter.
import { createOpenAICompatible as createAiSdkCompatible } from '@ai-sdk/openai-compatible';
import { fromMlkit, toMlkit } from '@mlkit/ai-sdk';
import {
  AuthenticationError,
  createOpenAICompatible,
  fallback,
  InvalidOutputError,
  type ModelEvent,
  meter,
  RateLimitError,
  UnsupportedError,
} from '@mlkit/core';
import { embedMany, generateText, isStepCount, Output, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  embeddingFor,
  type OpenAIServer,
  scriptedFaults,
  startOpenAIServer,
} from '../../../test/support/openai-server.ts';

const API_KEY = 'sk-ai-sdk-loopback-0123456789';
const Weather = z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']), days: z.number() });
// What the loopback samples from Weather's schema: "echo" strings, first enum values, 1 for numbers.
const sampledWeather = { city: 'echo', unit: 'celsius', days: 1 };

let server: OpenAIServer;
let hosted: ReturnType<typeof createOpenAICompatible>;
let aiSdk: ReturnType<typeof createAiSdkCompatible>;

beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: API_KEY, embeddingDimensions: 8 });
  hosted = createOpenAICompatible({ name: 'loopback', baseURL: server.url, apiKey: API_KEY, maxRetries: 0 });
  aiSdk = createAiSdkCompatible({
    name: 'loopback',
    baseURL: server.url,
    apiKey: API_KEY,
    supportsStructuredOutputs: true,
  });
});
afterAll(() => server?.close());

describe('fromMlkit on a hosted mlkit model, in ai 7', () => {
  it('generateText gives the server answer, its finish reason and usage', async () => {
    const result = await generateText({
      model: fromMlkit(hosted.textGeneration('echo')),
      prompt: 'hello there',
    });
    expect(result.text).toBe('Echo: hello there — naïve café 日本語 🚀');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBe(2);
    expect(result.usage.outputTokens).toBe(8);
  });

  it('streamText streams the same answer in pieces', async () => {
    const result = streamText({ model: fromMlkit(hosted.textGeneration('echo')), prompt: 'hello there' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Echo: hello there — naïve café 日本語 🚀');
  });

  it('Output.object sends the schema as json_schema and gives the object', async () => {
    const result = await generateText({
      model: fromMlkit(hosted.textGeneration('echo')),
      output: Output.object({ schema: Weather, name: 'weather' }),
      prompt: 'weather',
    });
    expect(result.output).toEqual(sampledWeather);
    expect(server.stats.last!.body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'weather' },
    });
  });

  it('tools: the call runs the tool, and the second step sends its result back', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: fromMlkit(hosted.textGeneration('echo')),
      tools: {
        get_weather: tool({
          inputSchema: Weather,
          execute: async (input) => {
            seen.push(input);
            return { forecast: 'sunny' };
          },
        }),
      },
      stopWhen: isStepCount(2),
      prompt: 'weather in Paris',
    });
    expect(seen).toEqual([sampledWeather, sampledWeather]);
    expect(result.steps).toHaveLength(2);
    const messages: { role: string; content: unknown; tool_call_id?: string }[] =
      server.stats.last!.body.messages;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    expect(messages[2]).toMatchObject({ tool_call_id: 'call_echo_0', content: '{"forecast":"sunny"}' });
  });

  it('headers reach the server', async () => {
    await generateText({
      model: fromMlkit(hosted.textGeneration('echo')),
      prompt: 'hi',
      headers: { 'x-team': 'search' },
    });
    expect(server.stats.last!.headers['x-team']).toBe('search');
  });

  it('an aborted call rejects', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      generateText({
        model: fromMlkit(hosted.textGeneration('echo')),
        prompt: 'hi',
        abortSignal: controller.signal,
      }),
    ).rejects.toThrow();
  });

  it('embedMany gives the server vectors, in order', async () => {
    const { embeddings } = await embedMany({
      model: fromMlkit(hosted.embedding('hash')),
      values: ['a', 'b'],
    });
    expect(embeddings).toEqual([Array.from(embeddingFor('a')), Array.from(embeddingFor('b'))]);
  });
});

describe('toMlkit on @ai-sdk/openai-compatible', () => {
  it('run gives the text, finish reason and usage in mlkit terms', async () => {
    const model = toMlkit(aiSdk.chatModel('echo'));
    expect(model.id).toBe('loopback.chat:echo');
    const output = await model.run({ prompt: 'hello there' });
    expect(output).toMatchObject({ text: 'Echo: hello there — naïve café 日本語 🚀', finishReason: 'stop' });
    expect(output.usage).toMatchObject({ inputTokens: 2, outputTokens: 8, totalTokens: 10 });
  });

  it('stream yields text deltas, then one finish chunk', async () => {
    const chunks = [];
    for await (const chunk of toMlkit(aiSdk.chatModel('echo')).stream({ prompt: 'hello there' }))
      chunks.push(chunk);
    const text = chunks.flatMap((chunk) => (chunk.type === 'text-delta' ? [chunk.text] : [])).join('');
    expect(text).toBe('Echo: hello there — naïve café 日本語 🚀');
    expect(chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('tools: the call comes back with parsed, validated arguments', async () => {
    const output = await toMlkit(aiSdk.chatModel('echo')).run({
      prompt: 'weather',
      tools: [{ name: 'get_weather', parameters: Weather }],
      toolChoice: 'required',
    });
    expect(output.finishReason).toBe('tool-calls');
    expect(output.toolCalls).toEqual([{ id: 'call_echo_0', name: 'get_weather', arguments: sampledWeather }]);
  });

  it('streamed tool calls come as deltas, then the whole call', async () => {
    const chunks = [];
    for await (const chunk of toMlkit(aiSdk.chatModel('echo')).stream({
      prompt: 'weather',
      tools: [{ name: 'get_weather', parameters: Weather }],
    })) {
      chunks.push(chunk);
    }
    const deltas = chunks.flatMap((chunk) =>
      chunk.type === 'tool-call-delta' ? [chunk.argumentsDelta] : [],
    );
    expect(JSON.parse(deltas.join(''))).toEqual(sampledWeather);
    expect(chunks.find((chunk) => chunk.type === 'tool-call')).toMatchObject({
      index: 0,
      name: 'get_weather',
      arguments: sampledWeather,
    });
  });

  it('sends image parts, assistant tool calls and tool results as the provider writes them', async () => {
    await toMlkit(aiSdk.chatModel('echo')).run({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'weather here?' },
            { type: 'image', image: 'https://example.com/sky.png' },
          ],
        },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
        },
        { role: 'tool', toolCallId: 'call_1', content: '{"forecast":"sunny"}' },
      ],
      tools: [{ name: 'get_weather', parameters: z.object({ city: z.string() }) }],
      toolChoice: 'none',
    });
    const messages = server.stats.last!.body.messages;
    expect(messages[0].content).toContainEqual({
      type: 'image_url',
      image_url: { url: 'https://example.com/sky.png' },
    });
    expect(messages[1].tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(messages[2]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '{"forecast":"sunny"}' });
  });

  it('refuses logitBias, which no AI SDK call option carries, naming it', async () => {
    const error = await toMlkit(aiSdk.chatModel('echo'))
      .run({ prompt: 'hi', logitBias: { 42: -100 } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ param: 'logitBias' });
  });

  it('responseFormat json gives the checked object', async () => {
    const output = await toMlkit(aiSdk.chatModel('echo')).run({
      prompt: 'weather',
      responseFormat: { type: 'json', schema: Weather, name: 'weather' },
    });
    expect(output.object).toEqual(sampledWeather);
  });

  it('a document that breaks the schema is an InvalidOutputError, as for every mlkit model', async () => {
    const Strict = z.object({ city: z.string().min(10) });
    await expect(
      toMlkit(aiSdk.chatModel('echo')).run({ prompt: 'x', responseFormat: { type: 'json', schema: Strict } }),
    ).rejects.toBeInstanceOf(InvalidOutputError);
  });

  it('a wrong key is an AuthenticationError, a 429 a RateLimitError', async () => {
    const wrongKey = createAiSdkCompatible({ name: 'loopback', baseURL: server.url, apiKey: 'sk-wrong' });
    await expect(toMlkit(wrongKey.chatModel('echo')).run({ prompt: 'hi' })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    const limited = await startOpenAIServer({ fault: scriptedFaults([{ kind: 'status', status: 429 }]) });
    try {
      const model = toMlkit(
        createAiSdkCompatible({ name: 'limited', baseURL: limited.url }).chatModel('echo'),
      );
      const error = await model.run({ prompt: 'hi' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ status: 429, retryable: true });
    } finally {
      await limited.close();
    }
  });

  it('inside fallback: a failing AI SDK model gives way to the next one', async () => {
    const down = await startOpenAIServer({ fault: () => ({ kind: 'status', status: 503 }) });
    try {
      const failing = toMlkit(createAiSdkCompatible({ name: 'down', baseURL: down.url }).chatModel('echo'));
      const events: ModelEvent[] = [];
      const model = fallback([failing, toMlkit(aiSdk.chatModel('echo'))]);
      const output = await model.run({ prompt: 'hello there' }, { onEvent: (event) => events.push(event) });
      expect(output.text).toBe('Echo: hello there — naïve café 日本語 🚀');
      expect(events.filter((event) => event.type === 'fallback')).toEqual([
        expect.objectContaining({ from: 'down.chat:echo', to: 'loopback.chat:echo' }),
      ]);
    } finally {
      await down.close();
    }
  });

  it('inside meter: the call is priced from its usage', async () => {
    const model = meter(toMlkit(aiSdk.chatModel('echo')), {
      usdPerMillionInputTokens: 1_000_000,
      usdPerMillionOutputTokens: 2_000_000,
    });
    const output = await model.run({ prompt: 'hello there' });
    expect(output.usage.costUsd).toBe(2 * 1 + 8 * 2);
  });

  it('an embedding model embeds texts into Float32Arrays', async () => {
    const model = toMlkit(aiSdk.embeddingModel('hash'));
    const output = await model.run({ texts: ['a', 'b'] });
    expect(output.embeddings).toEqual([embeddingFor('a'), embeddingFor('b')]);
    expect(output.dimensions).toBe(8);
  });
});
