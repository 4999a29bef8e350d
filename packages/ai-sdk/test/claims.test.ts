// What packages/ai-sdk/README.md says, one test per claim: toMlkit's errors, warnings, capabilities and
// refused settings on a scripted AI SDK model; fromMlkit's warnings, mlkit provider options and abort
// on a scripted mlkit model; the UnsupportedError of an ONNX model without a tool-call format.
import {
  APICallError,
  type LanguageModelV4,
  type LanguageModelV4CallOptions,
  type LanguageModelV4StreamPart,
  type SharedV4Warning,
} from '@ai-sdk/provider';
import { fromMlkit, mlkitLanguageModel, toMlkit } from '@mlkit/ai-sdk';
import {
  defineModel,
  type Model,
  NetworkError,
  type RunOptions,
  ServerError,
  type TextGenerationTask,
  textGeneration,
  UnsupportedError,
} from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';

/** An AI SDK model that answers "hi" with `warnings`, or throws `failure`; it records its calls. */
function aiSdkModel(script: { failure?: unknown; warnings?: SharedV4Warning[] } = {}) {
  const calls: LanguageModelV4CallOptions[] = [];
  const model: LanguageModelV4 = {
    specificationVersion: 'v4',
    provider: 'fake',
    modelId: 'scripted',
    supportedUrls: {},
    async doGenerate(options) {
      calls.push(options);
      if (script.failure !== undefined) throw script.failure;
      return {
        content: [{ type: 'text', text: 'hi' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 1, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 1, text: undefined, reasoning: undefined },
        },
        warnings: script.warnings ?? [],
      };
    },
    async doStream() {
      throw new Error('not scripted');
    },
  };
  return { model, calls };
}

const apiCallError = (statusCode: number | undefined) =>
  new APICallError({
    message: statusCode === undefined ? 'connect ECONNREFUSED 127.0.0.1:9' : 'Service Unavailable',
    url: 'http://127.0.0.1:9/v1/chat/completions',
    requestBodyValues: {},
    ...(statusCode === undefined ? {} : { statusCode, responseBody: '{"error":{"message":"overloaded"}}' }),
    isRetryable: true,
  });

/** An mlkit model that answers "hi" and records the input and run options it was given. */
function mlkitModel() {
  const seen: { inputs: unknown[]; options: RunOptions[] } = { inputs: [], options: [] };
  const model = defineModel({
    id: 'fake:scripted',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, tools: true, jsonSchema: true },
    async run(input, context) {
      seen.inputs.push(input);
      seen.options.push(context.options);
      return { text: 'hi', finishReason: 'stop', usage: {} };
    },
  });
  return { model, seen };
}

const user = (text: string): LanguageModelV4CallOptions['prompt'][number] => ({
  role: 'user',
  content: [{ type: 'text', text }],
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('toMlkit: errors', () => {
  it('a 5xx answer is a ServerError with its status', async () => {
    const { model } = aiSdkModel({ failure: apiCallError(503) });
    const error = await toMlkit(model)
      .run({ prompt: 'hi' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 503 });
  });

  it('a call that got no response is a NetworkError', async () => {
    const { model } = aiSdkModel({ failure: apiCallError(undefined) });
    await expect(toMlkit(model).run({ prompt: 'hi' })).rejects.toBeInstanceOf(NetworkError);
  });

  it('a failed call is made once: the AI SDK model does not retry', async () => {
    const { model, calls } = aiSdkModel({ failure: apiCallError(503) });
    await toMlkit(model)
      .run({ prompt: 'hi' })
      .catch(() => {});
    expect(calls).toHaveLength(1);
  });
});

describe('toMlkit: settings', () => {
  it('parallelToolCalls is an UnsupportedError naming it, before the model is called', async () => {
    const { model, calls } = aiSdkModel();
    const error = await toMlkit(model)
      .run({ prompt: 'hi', parallelToolCalls: false })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ param: 'parallelToolCalls' });
    expect(calls).toHaveLength(0);
  });

  it('providerOptions go with every call', async () => {
    const { model, calls } = aiSdkModel();
    const providerOptions = { openai: { parallelToolCalls: false } };
    await toMlkit(model, { providerOptions }).run({ prompt: 'hi' });
    expect(calls[0]!.providerOptions).toEqual(providerOptions);
  });

  it('capabilities default to streaming, tools, jsonSchema and images', () => {
    const { model } = aiSdkModel();
    expect(toMlkit(model).capabilities).toMatchObject({
      streaming: true,
      tools: true,
      jsonSchema: true,
      images: true,
    });
  });

  it('the capabilities option overrides the defaults', () => {
    const { model } = aiSdkModel();
    expect(toMlkit(model, { capabilities: { images: false } }).capabilities).toMatchObject({
      images: false,
      tools: true,
    });
  });
});

describe('toMlkit: warnings', () => {
  const warnings: SharedV4Warning[] = [{ type: 'unsupported', feature: 'seed' }];

  it('go to console.warn by default, with the model id', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await toMlkit(aiSdkModel({ warnings }).model).run({ prompt: 'hi' });
    expect(warn).toHaveBeenCalledWith('fake:scripted: unsupported: seed');
  });

  it('go to onWarnings instead when it is given', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const received: unknown[] = [];
    await toMlkit(aiSdkModel({ warnings }).model, {
      onWarnings: (given, id) => received.push([given, id]),
    }).run({ prompt: 'hi' });
    expect(received).toEqual([[warnings, 'fake:scripted']]);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('fromMlkit: what mlkit cannot carry is an unsupported warning', () => {
  it('a custom part in an assistant message', async () => {
    const { model } = mlkitModel();
    const result = await mlkitLanguageModel(model).doGenerate({
      prompt: [
        user('hi'),
        { role: 'assistant', content: [{ type: 'custom', kind: 'acme.memo' }] },
        user('go on'),
      ],
    });
    expect(result.warnings).toEqual([
      expect.objectContaining({ type: 'unsupported', feature: 'custom parts in assistant messages' }),
    ]);
  });

  it('a tool approval response', async () => {
    const { model } = mlkitModel();
    const result = await mlkitLanguageModel(model).doGenerate({
      prompt: [
        user('hi'),
        { role: 'tool', content: [{ type: 'tool-approval-response', approvalId: 'a1', approved: true }] },
      ],
    });
    expect(result.warnings).toEqual([
      expect.objectContaining({ type: 'unsupported', feature: 'tool approval responses' }),
    ]);
  });

  it("a tool's inputExamples", async () => {
    const { model, seen } = mlkitModel();
    const result = await mlkitLanguageModel(model).doGenerate({
      prompt: [user('weather?')],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
          inputExamples: [{ input: { city: 'Paris' } }],
        },
      ],
    });
    expect(result.warnings).toEqual([
      expect.objectContaining({ type: 'unsupported', feature: 'inputExamples of tool get_weather' }),
    ]);
    expect(seen.inputs[0]).toMatchObject({ tools: [{ name: 'get_weather' }] });
  });
});

describe('fromMlkit: settings and abort', () => {
  it('providerOptions.mlkit sets parallelToolCalls, logitBias and timeoutMs', async () => {
    const { model, seen } = mlkitModel();
    await mlkitLanguageModel(model).doGenerate({
      prompt: [user('hi')],
      providerOptions: { mlkit: { parallelToolCalls: false, logitBias: { '42': -100 }, timeoutMs: 5000 } },
    });
    expect(seen.inputs[0]).toMatchObject({ parallelToolCalls: false, logitBias: { '42': -100 } });
    expect(seen.options[0]!.timeoutMs).toBe(5000);
  });

  it("the caller's abort fails the stream (no error part)", async () => {
    const waiting = defineModel({
      id: 'fake:waiting',
      task: textGeneration,
      capabilities: { streaming: true, batching: false, local: true },
      run: async () => ({ text: '', finishReason: 'stop', usage: {} }),
      async *stream(_input, { signal }) {
        yield { type: 'text-delta', text: 'Hel' };
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    });
    const controller = new AbortController();
    const { stream } = await mlkitLanguageModel(waiting).doStream({
      prompt: [user('hi')],
      abortSignal: controller.signal,
    });
    const reader = stream.getReader();
    const parts: LanguageModelV4StreamPart[] = [];
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      parts.push(part.value);
      if (part.value.type === 'text-delta') break;
    }
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    expect(parts.map((part) => part.type)).not.toContain('error');
  });

  it('tools on an ONNX model whose chat template has no tool-call format: UnsupportedError naming tools', async () => {
    ensureFixtures();
    const gpt = (await loadModel(fixturePath('tiny-gpt'), {
      task: 'text-generation',
    })) as Model<TextGenerationTask>;
    try {
      const error = await Promise.resolve(
        fromMlkit(gpt).doGenerate({
          prompt: [user('weather?')],
          tools: [{ type: 'function', name: 'get_weather', inputSchema: { type: 'object' } }],
        }),
      ).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error).toMatchObject({ param: 'tools' });
    } finally {
      await gpt.dispose();
    }
  });
});
