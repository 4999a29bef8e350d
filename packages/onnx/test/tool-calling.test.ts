import type { TextGenerationChunk, TextGenerationTask, Tool } from '@mlkit/core';
import { checkAgainstSchema } from '@mlkit/core/json-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createGptToolsWeights,
  gptToolCallTokenId,
  gptToolsEosTokenId,
  gptToolsTokenizer,
} from '../../../test/fixtures/generate/gpt-tools.ts';
import { greedyDecode } from '../../../test/fixtures/reference/gpt.ts';
import type { OnnxModel } from '../src/index.node.ts';
import { fixture, loadInferred } from './support.ts';

async function collect(stream: AsyncIterable<TextGenerationChunk>): Promise<TextGenerationChunk[]> {
  const chunks: TextGenerationChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const weatherParameters = {
  type: 'object',
  properties: {
    city: { type: 'string', maxLength: 12 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'unit'],
  additionalProperties: false,
};
const tools: Tool[] = [
  { name: 'get_weather', description: 'Weather in a city', parameters: weatherParameters },
  {
    name: 'add',
    description: 'Adds two integers',
    parameters: z.object({ a: z.number().int().min(0).max(99), b: z.number().int().min(0).max(99) }),
  },
];
const messages = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
const seeds = [1, 2, 3];

describe('tool calling on tiny-gpt-tools (random weights, constrained decoding)', () => {
  let model: OnnxModel<TextGenerationTask>;
  beforeAll(async () => {
    model = await loadInferred('text-generation', fixture('tiny-gpt-tools'));
  });
  afterAll(() => model.dispose());

  it('says it takes tools and JSON schemas but no images', () => {
    expect(model.capabilities).toMatchObject({ tools: true, jsonSchema: true, images: false });
  });

  it('generates greedily like the reference without tools (the mlkit side of the transformers.js check)', async () => {
    const tokenizer = gptToolsTokenizer();
    const prompt = 'Hello world';
    const output = await model.run({ prompt, temperature: 0, maxTokens: 8 });
    const rendered = `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n`;
    const ids = tokenizer.encode(rendered, { add_special_tokens: false }).ids;
    const reference = greedyDecode(createGptToolsWeights(), ids, 8, gptToolsEosTokenId);
    const kept = reference.at(-1) === gptToolsEosTokenId ? reference.slice(0, -1) : reference;
    expect(output.text).toBe(tokenizer.decode(kept, { skip_special_tokens: true }));
  });

  for (const temperature of [0, 1]) {
    it(`toolChoice required gives a valid call for every seed (temperature ${temperature})`, async () => {
      for (const seed of temperature === 0 ? [undefined] : seeds) {
        const output = await model.run({
          messages,
          tools,
          toolChoice: 'required',
          temperature,
          seed,
          maxTokens: 200,
        });
        expect(output.finishReason, `seed ${seed}`).toBe('tool-calls');
        expect(output.rawFinishReason).toBe('tool_calls');
        expect(output.toolCalls!.length).toBeGreaterThan(0);
        for (const call of output.toolCalls!) {
          const tool = tools.find((candidate) => candidate.name === call.name);
          expect(tool, call.name).toBeDefined();
          expect(checkAgainstSchema(tool!.parameters!, call.arguments).success).toBe(true);
          expect(call.id).toMatch(/^call_/);
        }
      }
    });

    it(`a named tool is the one called, with valid arguments, for every seed (temperature ${temperature})`, async () => {
      for (const seed of temperature === 0 ? [undefined] : seeds) {
        const output = await model.run({
          messages,
          tools,
          toolChoice: { tool: 'add' },
          temperature,
          seed,
          maxTokens: 200,
        });
        expect(output.toolCalls!.map((call) => call.name)).toEqual(output.toolCalls!.map(() => 'add'));
        for (const call of output.toolCalls!) {
          const args = call.arguments as { a: number; b: number };
          expect(Number.isInteger(args.a) && args.a >= 0 && args.a <= 99).toBe(true);
          expect(Number.isInteger(args.b) && args.b >= 0 && args.b <= 99).toBe(true);
        }
      }
    });
  }

  it('parallelToolCalls false makes at most one call', async () => {
    for (const seed of seeds) {
      const output = await model.run({
        messages,
        tools,
        toolChoice: 'required',
        parallelToolCalls: false,
        temperature: 1,
        seed,
        maxTokens: 200,
      });
      expect(output.toolCalls).toHaveLength(1);
    }
  });

  it('auto mode: a model that writes <tool_call> (pushed by logitBias) gets a valid call', async () => {
    const output = await model.run({
      messages,
      tools,
      temperature: 0,
      logitBias: { [gptToolCallTokenId]: 100 },
      maxTokens: 200,
    });
    expect(output.finishReason).toBe('tool-calls');
    expect(output.toolCalls!.length).toBeGreaterThan(0);
    for (const call of output.toolCalls!) {
      const tool = tools.find((candidate) => candidate.name === call.name)!;
      expect(checkAgainstSchema(tool.parameters!, call.arguments).success).toBe(true);
    }
    expect(output.text).not.toContain('<tool_call>');
  });

  it('auto mode without the trigger answers in text and calls nothing', async () => {
    const output = await model.run({
      messages,
      tools,
      temperature: 0,
      logitBias: { [gptToolCallTokenId]: -100 },
      maxTokens: 12,
    });
    expect(output.toolCalls).toBeUndefined();
    expect(output.finishReason).not.toBe('tool-calls');
  });

  it('toolChoice none renders no tools and parses nothing', async () => {
    const withTools = await model.run({ messages, tools, toolChoice: 'none', temperature: 0, maxTokens: 4 });
    const without = await model.run({ messages, temperature: 0, maxTokens: 4 });
    expect(withTools.usage.inputTokens).toBe(without.usage.inputTokens);
    expect(withTools.text).toBe(without.text);
  });

  it('renders the tools into the prompt (more input tokens than without)', async () => {
    const withTools = await model.run({ messages, tools, temperature: 0, maxTokens: 1, toolChoice: 'auto' });
    const without = await model.run({ messages, temperature: 0, maxTokens: 1 });
    expect(withTools.usage.inputTokens).toBeGreaterThan(without.usage.inputTokens! + 50);
  });

  it('streams tool-call deltas, then one tool-call per call, then finish, with the same calls as run()', async () => {
    const input = {
      messages,
      tools,
      toolChoice: 'required' as const,
      temperature: 1,
      seed: 2,
      maxTokens: 200,
    };
    const run = await model.run(input);
    const chunks = await collect(model.stream(input));
    const order = chunks.map((chunk) => chunk.type);
    expect(order.at(-1)).toBe('finish');
    expect(order).not.toContain('text-delta');
    const calls = chunks.filter((chunk) => chunk.type === 'tool-call');
    expect(calls.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual(
      run.toolCalls!.map(({ name, arguments: args }) => ({ name, arguments: args })),
    );
    for (const call of calls) {
      const deltas = chunks.filter((chunk) => chunk.type === 'tool-call-delta' && chunk.index === call.index);
      expect(deltas.length).toBeGreaterThan(1);
      const text = deltas
        .map((chunk) => (chunk.type === 'tool-call-delta' ? chunk.argumentsDelta : ''))
        .join('');
      expect(JSON.parse(text)).toEqual(call.arguments);
      expect(chunks.indexOf(deltas.at(-1)!)).toBeLessThan(chunks.indexOf(call));
    }
    expect(chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls' });
  });

  it('refuses an image part before any inference, naming where it is', async () => {
    const error = await model
      .run({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is it?' },
              { type: 'image', image: 'https://example.com/cat.png' },
            ],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unsupported', param: 'input.messages[0].content[1]' });
  });

  it('continues a conversation with tool results (assistant toolCalls and tool messages)', async () => {
    const output = await model.run({
      messages: [
        ...messages,
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }],
        },
        { role: 'tool', toolCallId: 'call_1', content: '{"temperature": 21}' },
      ],
      tools,
      temperature: 0,
      maxTokens: 4,
      logitBias: { [gptToolCallTokenId]: -100 },
    });
    expect(output.usage.outputTokens).toBeGreaterThan(0);
  });
});
