// The real `ai` 7 on local ONNX models through fromMlkit: tiny-gpt-tools (random weights, a
// Qwen2.5-style template with <tool_call>) and tiny-bert. The weights are random, so the values are
// arbitrary; what holds is the shape (objects and tool inputs validate, constrained decoding) and
// greedy determinism.
import { fromMlkit } from '@mlkit/ai-sdk';
import type { EmbeddingTask, Model, TextGenerationTask } from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { embed, embedMany, generateObject, generateText, Output, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';

// Bounded so that a random model finishes the document well within maxOutputTokens.
const Weather = z.object({
  unit: z.enum(['celsius', 'fahrenheit']),
  sunny: z.boolean(),
  city: z.string().max(8),
});
const Flight = z.object({ seats: z.enum(['one', 'two']), window: z.boolean() });

let gpt: Model<TextGenerationTask>;
let bert: Model<EmbeddingTask>;

beforeAll(async () => {
  ensureFixtures();
  [gpt, bert] = await Promise.all([
    loadModel(fixturePath('tiny-gpt-tools'), { task: 'text-generation' }),
    loadModel(fixturePath('tiny-bert'), { task: 'embedding' }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([gpt?.dispose(), bert?.dispose()]);
});

describe('generateText and streamText on a local ONNX decoder', () => {
  it('generateText answers greedily, the same text twice, with usage', async () => {
    const call = () =>
      generateText({ model: fromMlkit(gpt), prompt: 'Hello', temperature: 0, maxOutputTokens: 8 });
    const [first, second] = [await call(), await call()];
    expect(first.text.length).toBeGreaterThan(0);
    expect(second.text).toBe(first.text);
    expect(first.usage.outputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBeLessThanOrEqual(8);
    expect(['stop', 'length']).toContain(first.finishReason);
  });

  it('streamText streams the greedy answer generateText gives', async () => {
    const options = { model: fromMlkit(gpt), prompt: 'Hello', temperature: 0, maxOutputTokens: 8 } as const;
    const whole = await generateText(options);
    const result = streamText(options);
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe(whole.text);
    expect(await result.finishReason).toBe(whole.finishReason);
  });
});

describe('structured output on a local ONNX decoder (constrained decoding)', () => {
  it('generateText with Output.object gives an object that validates', async () => {
    const result = await generateText({
      model: fromMlkit(gpt),
      output: Output.object({ schema: Weather, name: 'weather' }),
      prompt: 'The weather in Paris?',
      maxOutputTokens: 200,
    });
    expect(Weather.safeParse(result.output).success).toBe(true);
  });

  it('generateObject gives an object that validates', async () => {
    const result = await generateObject({
      model: fromMlkit(gpt),
      schema: Weather,
      prompt: 'The weather in Paris?',
      maxOutputTokens: 200,
    });
    expect(Weather.safeParse(result.object).success).toBe(true);
    expect(result.finishReason).toBe('stop');
  });
});

describe('tools on a local ONNX decoder', () => {
  const tools = (seen: unknown[]) => ({
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
  });

  it('toolChoice required makes a call whose input validates, and runs the tool', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: fromMlkit(gpt),
      tools: tools(seen),
      toolChoice: 'required',
      prompt: 'Weather in Paris?',
      maxOutputTokens: 200,
    });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls).toHaveLength(seen.length);
    const call = result.toolCalls[0]!;
    const schema = call.toolName === 'get_weather' ? Weather : Flight;
    expect(schema.safeParse(call.input).success).toBe(true);
    expect(seen[0]).toEqual(call.input);
  });

  it('a second step sends the tool result back and ends in text', async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: fromMlkit(gpt),
      tools: tools(seen),
      // A call first, then an answer: the random model is made to choose by toolChoice.
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? 'required' : 'none' }),
      stopWhen: ({ steps }) => steps.length >= 2,
      include: { requestBody: true },
      prompt: 'Weather in Paris?',
      maxOutputTokens: 200,
    });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.toolResults).toHaveLength(1);
    expect(result.steps[1]!.toolCalls).toEqual([]);
    const sent = result.steps[1]!.request.body as { messages: { role: string; content: string }[] };
    expect(sent.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    // A string result goes as text, an object as its JSON.
    const output = result.steps[0]!.toolResults[0]!.output;
    expect(sent.messages[2]!.content).toBe(typeof output === 'string' ? output : JSON.stringify(output));
    expect(seen).toHaveLength(1);
  });

  it('streamText streams tool-input deltas that join to the call input', async () => {
    const seen: unknown[] = [];
    const result = streamText({
      model: fromMlkit(gpt),
      tools: tools(seen),
      toolChoice: { type: 'tool', toolName: 'book_flight' },
      prompt: 'Book a flight',
      maxOutputTokens: 200,
    });
    const deltas: string[] = [];
    const types: string[] = [];
    for await (const part of result.fullStream) {
      types.push(part.type);
      if (part.type === 'tool-input-delta') deltas.push(part.delta);
    }
    const calls = await result.toolCalls;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.toolName).toBe('book_flight');
    expect(JSON.parse(deltas.join(''))).toEqual(calls[0]!.input);
    expect(Flight.safeParse(calls[0]!.input).success).toBe(true);
    expect(types.indexOf('tool-call')).toBeGreaterThan(types.lastIndexOf('tool-input-delta'));
    expect(types).toContain('tool-result');
  });
});

describe('embeddings on a local ONNX encoder', () => {
  it('embedMany gives one vector per value, of the model dimensions, the same for the same text', async () => {
    const values = ['a cat', 'a dog', 'a cat'];
    const { embeddings, usage } = await embedMany({ model: fromMlkit(bert), values });
    const direct = await bert.run({ texts: ['a cat'] });
    expect(embeddings).toHaveLength(3);
    for (const vector of embeddings) expect(vector).toHaveLength(direct.dimensions);
    expect(embeddings[0]).toEqual(embeddings[2]);
    expect(embeddings[0]).not.toEqual(embeddings[1]);
    expect(embeddings[0]![0]).toBeCloseTo(direct.embeddings[0]![0]!, 6);
    expect(usage.tokens).toBeGreaterThan(0);
  });

  it('embed gives the vector of one value', async () => {
    const { embedding } = await embed({ model: fromMlkit(bert), value: 'a cat' });
    const direct = await bert.run({ texts: ['a cat'] });
    expect(embedding).toEqual(Array.from(direct.embeddings[0]!));
  });
});
