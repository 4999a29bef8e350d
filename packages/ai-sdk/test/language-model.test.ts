// mlkitLanguageModel's mapping, checked on the V4 calls themselves (doGenerate, doStream) against a
// scripted mlkit model that records what it was given: settings, messages, warnings, stream parts.
import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { fromMlkit, mlkitLanguageModel } from '@mlkit/ai-sdk';
import {
  AuthenticationError,
  defineModel,
  type ParsedInputOf,
  type RunOptions,
  type TextGenerationChunk,
  type TextGenerationOutput,
  type TextGenerationTask,
  textGeneration,
  UnsupportedError,
} from '@mlkit/core';
import { describe, expect, it } from 'vitest';

type Input = ParsedInputOf<TextGenerationTask>;

/** An mlkit model that answers `output` (run) or `chunks` (stream) and records its inputs and options. */
function scripted(script: { output?: TextGenerationOutput; chunks?: (TextGenerationChunk | Error)[] } = {}) {
  const seen: { inputs: Input[]; options: RunOptions[] } = { inputs: [], options: [] };
  const model = defineModel({
    id: 'fake:scripted',
    task: textGeneration,
    capabilities: {
      streaming: true,
      batching: false,
      local: true,
      tools: true,
      jsonSchema: true,
      images: true,
    },
    async run(input, context) {
      seen.inputs.push(input);
      seen.options.push(context.options);
      return (
        script.output ?? { text: 'hi', finishReason: 'stop', usage: { inputTokens: 2, outputTokens: 1 } }
      );
    },
    async *stream(input, context) {
      seen.inputs.push(input);
      seen.options.push(context.options);
      for (const chunk of script.chunks ?? []) {
        if (chunk instanceof Error) throw chunk;
        yield chunk;
      }
    },
  });
  return { model, seen };
}

const user = (text: string): LanguageModelV4CallOptions['prompt'][number] => ({
  role: 'user',
  content: [{ type: 'text', text }],
});

async function partsOf(
  stream: ReadableStream<LanguageModelV4StreamPart>,
): Promise<LanguageModelV4StreamPart[]> {
  const parts: LanguageModelV4StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('fromMlkit', () => {
  it('makes a v4 language model of a text-generation model, named after it', () => {
    const model = fromMlkit(scripted().model);
    expect(model).toMatchObject({ specificationVersion: 'v4', provider: 'mlkit', modelId: 'fake:scripted' });
    expect(typeof model.doGenerate).toBe('function');
  });

  it('refuses a task the AI SDK has no model type for', () => {
    const classifier = defineModel({
      id: 'fake:classifier',
      task: { ...textGeneration, name: 'classification' } as never,
      capabilities: { streaming: false, batching: false, local: true },
      run: async () => ({}) as never,
    });
    expect(() => fromMlkit(classifier as never)).toThrow(UnsupportedError);
  });
});

describe('doGenerate', () => {
  it('passes the sampling settings under mlkit names', async () => {
    const { model, seen } = scripted();
    await mlkitLanguageModel(model).doGenerate({
      prompt: [user('hello')],
      maxOutputTokens: 12,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      stopSequences: ['END'],
    });
    expect(seen.inputs[0]).toMatchObject({
      maxTokens: 12,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      stop: ['END'],
    });
  });

  it('maps tools, a named toolChoice and a json responseFormat', async () => {
    const { model, seen } = scripted({
      output: { text: '{"city":"Paris"}', finishReason: 'stop', usage: {} },
    });
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } as const;
    await mlkitLanguageModel(model).doGenerate({
      prompt: [user('weather?')],
      tools: [{ type: 'function', name: 'get_weather', description: 'The weather', inputSchema: schema }],
      toolChoice: { type: 'tool', toolName: 'get_weather' },
      responseFormat: { type: 'json', schema, name: 'answer' },
    });
    expect(seen.inputs[0]).toMatchObject({
      tools: [{ name: 'get_weather', description: 'The weather', parameters: schema }],
      toolChoice: { tool: 'get_weather' },
      responseFormat: { type: 'json', schema, name: 'answer' },
    });
  });

  it('maps system, user image, assistant tool-call and tool-result messages', async () => {
    const { model, seen } = scripted();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]);
    await mlkitLanguageModel(model).doGenerate({
      prompt: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'file', mediaType: 'image/png', data: { type: 'data', data: png } },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'look', input: { zoom: 2 } }],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 'call_1',
              toolName: 'look',
              output: { type: 'json', value: { seen: 'a cat' } },
            },
          ],
        },
      ],
    });
    expect('messages' in seen.inputs[0]! && seen.inputs[0].messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', image: png, mediaType: 'image/png' },
        ],
      },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'look', arguments: { zoom: 2 } }] },
      { role: 'tool', toolCallId: 'call_1', content: '{"seen":"a cat"}' },
    ]);
  });

  it('warns about a provider tool, a PDF part, reasoning and reasoning effort instead of dropping them silently', async () => {
    const { model, seen } = scripted();
    const result = await mlkitLanguageModel(model).doGenerate({
      prompt: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Read this' },
            { type: 'file', mediaType: 'application/pdf', data: { type: 'data', data: new Uint8Array([1]) } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'hmm' },
            { type: 'text', text: 'ok' },
          ],
        },
        user('go on'),
      ],
      tools: [{ type: 'provider', id: 'openai.web_search', name: 'web_search', args: {} }],
      reasoning: 'high',
    });
    expect(result.warnings).toEqual([
      expect.objectContaining({ type: 'unsupported', feature: expect.stringContaining('application/pdf') }),
      expect.objectContaining({ type: 'unsupported', feature: 'reasoning parts in assistant messages' }),
      expect.objectContaining({ type: 'unsupported', feature: 'provider tool openai.web_search' }),
      expect.objectContaining({ type: 'unsupported', feature: 'reasoning' }),
    ]);
    expect(seen.inputs[0]).not.toHaveProperty('tools');
  });

  it('passes abortSignal and headers on as run options', async () => {
    const { model, seen } = scripted();
    const controller = new AbortController();
    await mlkitLanguageModel(model).doGenerate({
      prompt: [user('hi')],
      abortSignal: controller.signal,
      headers: { 'x-team': 'search', 'x-unset': undefined },
    });
    expect(seen.options[0]!.signal).toBe(controller.signal);
    expect(seen.options[0]!.headers).toEqual({ 'x-team': 'search' });
  });

  it('returns text and tool calls as content, with the finish reason unified and raw, and usage', async () => {
    const { model } = scripted({
      output: {
        text: 'Calling.',
        toolCalls: [{ id: 'call_7', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        finishReason: 'tool-calls',
        rawFinishReason: 'tool_calls',
        usage: { inputTokens: 5, outputTokens: 3, durationMs: 12 },
      },
    });
    const result = await mlkitLanguageModel(model).doGenerate({
      prompt: [user('weather?')],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
    });
    expect(result.content).toEqual([
      { type: 'text', text: 'Calling.' },
      { type: 'tool-call', toolCallId: 'call_7', toolName: 'get_weather', input: '{"city":"Paris"}' },
    ]);
    expect(result.finishReason).toEqual({ unified: 'tool-calls', raw: 'tool_calls' });
    expect(result.usage.inputTokens.total).toBe(5);
    expect(result.usage.outputTokens.total).toBe(3);
    expect(result.providerMetadata).toEqual({ mlkit: { durationMs: 12 } });
  });

  it('rejects with the mlkit error when the model fails', async () => {
    const failing = defineModel({
      id: 'fake:failing',
      task: textGeneration,
      capabilities: { streaming: false, batching: false, local: false },
      run: async () => {
        throw new AuthenticationError('Check the API key.');
      },
    });
    await expect(mlkitLanguageModel(failing).doGenerate({ prompt: [user('hi')] })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });
});

describe('doStream', () => {
  it('streams stream-start with the warnings, a text block with one id, and finish', async () => {
    const { model } = scripted({
      chunks: [
        { type: 'text-delta', text: 'Hel' },
        { type: 'text-delta', text: 'lo' },
        {
          type: 'finish',
          finishReason: 'stop',
          rawFinishReason: 'eos',
          usage: { inputTokens: 1, outputTokens: 2 },
        },
      ],
    });
    const { stream } = await mlkitLanguageModel(model).doStream({ prompt: [user('hi')], reasoning: 'low' });
    const parts = await partsOf(stream);
    expect(parts.map((part) => part.type)).toEqual([
      'stream-start',
      'response-metadata',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
      'finish',
    ]);
    expect(parts[0]).toEqual({
      type: 'stream-start',
      warnings: [expect.objectContaining({ feature: 'reasoning' })],
    });
    const ids = new Set(
      parts.flatMap((part) => ('id' in part && part.type.startsWith('text') ? [part.id] : [])),
    );
    expect(ids.size).toBe(1);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: { unified: 'stop', raw: 'eos' } });
  });

  it('streams tool-input-start, deltas and end before the tool call with its JSON input', async () => {
    const call = { index: 0, id: 'call_1', name: 'get_weather' };
    const { model } = scripted({
      chunks: [
        { type: 'tool-call-delta', ...call, argumentsDelta: '{"city":' },
        { type: 'tool-call-delta', ...call, argumentsDelta: '"Paris"}' },
        { type: 'tool-call', ...call, arguments: '{"city":"Paris"}' },
        { type: 'finish', finishReason: 'tool-calls', usage: {} },
      ],
    });
    const { stream } = await mlkitLanguageModel(model).doStream({
      prompt: [user('weather?')],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
    });
    const parts = (await partsOf(stream)).filter(
      (part) => part.type.startsWith('tool') || part.type === 'finish',
    );
    expect(parts).toEqual([
      { type: 'tool-input-start', id: 'call_1', toolName: 'get_weather' },
      { type: 'tool-input-delta', id: 'call_1', delta: '{"city":' },
      { type: 'tool-input-delta', id: 'call_1', delta: '"Paris"}' },
      { type: 'tool-input-end', id: 'call_1' },
      { type: 'tool-call', toolCallId: 'call_1', toolName: 'get_weather', input: '{"city":"Paris"}' },
      expect.objectContaining({ type: 'finish', finishReason: { unified: 'tool-calls', raw: undefined } }),
    ]);
  });

  it('rejects doStream when the model fails before its first chunk', async () => {
    const { model } = scripted({ chunks: [new AuthenticationError('Check the API key.')] });
    await expect(mlkitLanguageModel(model).doStream({ prompt: [user('hi')] })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it('turns a failure after output began into an error part, then a finish with reason error', async () => {
    const failure = new Error('connection reset');
    const { model } = scripted({ chunks: [{ type: 'text-delta', text: 'Hel' }, failure] });
    const { stream } = await mlkitLanguageModel(model).doStream({ prompt: [user('hi')] });
    const parts = await partsOf(stream);
    expect(parts.slice(-4)).toEqual([
      { type: 'text-delta', id: 'text-0', delta: 'Hel' },
      {
        type: 'error',
        error: expect.objectContaining({ message: expect.stringContaining('connection reset') }),
      },
      { type: 'text-end', id: 'text-0' },
      expect.objectContaining({ type: 'finish', finishReason: { unified: 'error', raw: undefined } }),
    ]);
  });

  it('adds raw parts with the mlkit chunks when includeRawChunks is set', async () => {
    const finish = { type: 'finish' as const, finishReason: 'stop' as const, usage: {} };
    const { model } = scripted({ chunks: [finish] });
    const { stream } = await mlkitLanguageModel(model).doStream({
      prompt: [user('hi')],
      includeRawChunks: true,
    });
    const raws = (await partsOf(stream)).filter((part) => part.type === 'raw');
    expect(raws).toEqual([{ type: 'raw', rawValue: finish }]);
  });
});
