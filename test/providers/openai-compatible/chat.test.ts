import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createOpenAICompatible, type ModelEvent, openai } from '../../../src/index.ts';
import { BASE_URL, collect, data, delta, failure, mockServer, recorder, sseResponse } from './support.ts';

const server = mockServer();
const provider = (settings: { maxRetries?: number; onEvent?: (event: ModelEvent) => void } = {}) =>
  createOpenAICompatible({ name: 'vllm', baseURL: BASE_URL, maxRetries: 0, ...settings });

const completion = (
  content: string | null,
  finishReason: string | null = 'stop',
  usage: object | null = null,
) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
  ...(usage ? { usage } : {}),
});

function answer(body: unknown, init?: ResponseInit) {
  const log = recorder();
  server.use(
    http.post(`${BASE_URL}/chat/completions`, async ({ request }) => {
      await log.record(request);
      return HttpResponse.json(body as object, init);
    }),
  );
  return log;
}

function stream(parts: string[]) {
  const log = recorder();
  server.use(
    http.post(`${BASE_URL}/chat/completions`, async ({ request }) => {
      await log.record(request);
      return sseResponse(parts);
    }),
  );
  return log;
}

describe('openai-compatible text generation: request', () => {
  it('sends a prompt as one user message with the model name', async () => {
    const log = answer(completion('hi'));
    await provider().textGeneration('my-model').run({ prompt: 'Hello' });
    expect(log.requests[0]!.url).toBe(`${BASE_URL}/chat/completions`);
    expect(log.requests[0]!.body).toEqual({
      model: 'my-model',
      messages: [{ role: 'user', content: 'Hello' }],
    });
  });

  it('sends messages as they are and sampling options in snake_case, top_k included', async () => {
    const log = answer(completion('hi'));
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hi' },
    ];
    await provider()
      .textGeneration('m')
      .run({ messages, maxTokens: 5, temperature: 0.5, topP: 0.9, topK: 40, stop: ['\n'], seed: 7 });
    expect(log.requests[0]!.body).toEqual({
      model: 'm',
      messages,
      max_tokens: 5,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop: ['\n'],
      seed: 7,
    });
  });

  it('sends frequencyPenalty, presencePenalty and logitBias as OpenAI names them', async () => {
    const log = answer(completion('hi'));
    await provider()
      .textGeneration('m')
      .run({ prompt: 'Hi', frequencyPenalty: 0.5, presencePenalty: -1, logitBias: { 50256: -100, 7: 2 } });
    expect(log.requests[0]!.body).toMatchObject({
      frequency_penalty: 0.5,
      presence_penalty: -1,
      logit_bias: { 50256: -100, 7: 2 },
    });
  });

  it('sends max_completion_tokens and no top_k to OpenAI, which rejects unknown parameters', async () => {
    const log = answer(completion('hi'));
    await openai({ baseURL: BASE_URL, apiKey: 'sk-test-0123456789', maxRetries: 0 })
      .textGeneration('gpt-4o-mini')
      .run({ prompt: 'Hi', maxTokens: 5, topK: 40 });
    expect(log.requests[0]!.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      max_completion_tokens: 5,
    });
    expect(log.requests[0]!.headers.get('authorization')).toBe('Bearer sk-test-0123456789');
  });

  it('applies the model defaults under the call input, the call winning', async () => {
    const log = answer(completion('hi'));
    const model = provider().textGeneration('m', { defaults: { temperature: 0, maxTokens: 9 } });
    await model.run({ prompt: 'Hi', maxTokens: 3 });
    expect(log.requests[0]!.body).toMatchObject({ temperature: 0, max_tokens: 3 });
  });

  it('rejects invalid defaults when the model is created', () => {
    expect(() => provider().textGeneration('m', { defaults: { temperature: 7 } })).toThrow(
      /defaults\.temperature/,
    );
  });

  it('rejects invalid input with InvalidInputError before any request', async () => {
    const log = answer(completion('hi'));
    const model = provider().textGeneration('m');
    const error = await failure(model.run({ prompt: 'x', temperature: 5 }));
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect(error.message).toMatch(/input\.temperature/);
    expect(() => model.stream({ messages: [] })).toThrow(/input\.messages/);
    expect(log.requests).toHaveLength(0);
  });

  it('forwards per-call headers', async () => {
    const log = answer(completion('hi'));
    await provider()
      .textGeneration('m')
      .run({ prompt: 'Hi' }, { headers: { 'x-trace': 'abc' } });
    expect(log.requests[0]!.headers.get('x-trace')).toBe('abc');
  });

  it('names the model provider:model', () => {
    const model = provider().textGeneration('Qwen/Qwen3-0.6B');
    expect(model.id).toBe('vllm:Qwen/Qwen3-0.6B');
    expect(model.task).toBe('text-generation');
    expect(model.capabilities).toMatchObject({ streaming: true, local: false });
  });
});

describe('openai-compatible text generation: response', () => {
  it('maps text, finish reason and usage', async () => {
    answer(completion('Hello there', 'stop', { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }));
    const output = await provider().textGeneration('m').run({ prompt: 'Hi' });
    expect(output).toEqual({
      text: 'Hello there',
      finishReason: 'stop',
      rawFinishReason: 'stop',
      usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
    });
  });

  it('computes totalTokens when the server leaves it out, and leaves usage empty when it sends none', async () => {
    answer(completion('a', 'stop', { prompt_tokens: 3, completion_tokens: 2 }));
    expect((await provider().textGeneration('m').run({ prompt: 'Hi' })).usage).toEqual({
      inputTokens: 3,
      outputTokens: 2,
      totalTokens: 5,
    });
    answer(completion('a', 'stop'));
    expect((await provider().textGeneration('m').run({ prompt: 'Hi' })).usage).toEqual({});
  });

  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content_filter', 'content-filter'],
    ['tool_calls', 'tool-calls'],
    ['function_call', 'tool-calls'],
    ['something_new', 'other'],
    [null, 'other'],
  ])('maps finish_reason %s to %s', async (wire, expected) => {
    answer(completion('x', wire));
    expect((await provider().textGeneration('m').run({ prompt: 'Hi' })).finishReason).toBe(expected);
  });

  it('returns empty text when content is null (a tool call)', async () => {
    answer(completion(null, 'tool_calls'));
    expect((await provider().textGeneration('m').run({ prompt: 'Hi' })).text).toBe('');
  });

  it('rejects a response without choices with ResponseValidationError', async () => {
    answer({ object: 'chat.completion', choices: [] });
    const error = await failure(provider().textGeneration('m').run({ prompt: 'Hi' }));
    expect(error).toMatchObject({ code: 'response_validation', provider: 'vllm' });
    expect(error.message).toMatch(/choices/);
  });

  it('rejects a response of the wrong shape with ResponseValidationError', async () => {
    answer({ choices: [{ message: { content: 42 } }] });
    expect(await failure(provider().textGeneration('m').run({ prompt: 'Hi' }))).toMatchObject({
      code: 'response_validation',
    });
  });

  it.each([
    [400, 'invalid_input'],
    [401, 'authentication'],
    [403, 'permission'],
    [404, 'not_found'],
    [422, 'invalid_input'],
    [429, 'rate_limit'],
    [500, 'server'],
    [503, 'server'],
  ])('maps HTTP %i to a %s error', async (status, code) => {
    answer({ error: { message: `status ${status}`, type: 'x' } }, { status });
    const error = await failure(provider().textGeneration('m').run({ prompt: 'Hi' }));
    expect(error).toMatchObject({ code, status, provider: 'vllm' });
    expect(error.message).toMatch(`status ${status}`);
  });

  it('keeps the Retry-After hint of a final 429', async () => {
    answer({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '7' } });
    expect(await failure(provider().textGeneration('m').run({ prompt: 'Hi' }))).toMatchObject({
      code: 'rate_limit',
      retryAfterMs: 7000,
    });
  });

  it('reports each request, response and result once to the provider and the call listeners', async () => {
    answer(completion('hi'));
    const providerEvents: ModelEvent[] = [];
    const callEvents: ModelEvent[] = [];
    await provider({ onEvent: (event) => providerEvents.push(event) })
      .textGeneration('m')
      .run({ prompt: 'Hi' }, { onEvent: (event) => callEvents.push(event) });
    expect(providerEvents.map((event) => event.type)).toEqual(['request', 'response', 'result']);
    expect(callEvents.map((event) => event.type)).toEqual(['request', 'response', 'result']);
    expect(providerEvents[0]).toMatchObject({ modelId: 'vllm:m', method: 'POST' });
  });
});

describe('openai-compatible text generation: stream', () => {
  const usage = { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 };

  it('asks for a stream with usage included', async () => {
    const log = stream([delta('a', 'stop'), data('[DONE]')]);
    await collect(provider().textGeneration('m').stream({ prompt: 'Hi' }));
    expect(log.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(log.requests[0]!.headers.get('accept')).toBe('text/event-stream');
  });

  it('yields text deltas, then one finish chunk with the usage of the choices: [] chunk', async () => {
    stream([
      delta(''),
      delta('Hel'),
      delta('lo'),
      delta(undefined, 'stop'),
      data({ object: 'chat.completion.chunk', choices: [], usage }),
      data('[DONE]'),
    ]);
    const chunks = await collect(provider().textGeneration('m').stream({ prompt: 'Hi' }));
    expect(chunks).toEqual([
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      {
        type: 'finish',
        finishReason: 'stop',
        rawFinishReason: 'stop',
        usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 },
      },
    ]);
  });

  it('reads usage sent on the finish chunk itself (as some servers do)', async () => {
    stream([
      delta('a'),
      data({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }], usage }),
      data('[DONE]'),
    ]);
    const chunks = await collect(provider().textGeneration('m').stream({ prompt: 'Hi' }));
    expect(chunks.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'length',
      rawFinishReason: 'length',
      usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 },
    });
  });

  it('finishes a stream that ends after a finish_reason without [DONE]', async () => {
    stream([delta('a'), delta(undefined, 'stop')]);
    const chunks = await collect(provider().textGeneration('m').stream({ prompt: 'Hi' }));
    expect(chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('throws NetworkError for a stream that ends without [DONE] and without a finish_reason', async () => {
    stream([delta('a'), delta('b')]);
    const seen: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of provider().textGeneration('m').stream({ prompt: 'Hi' })) seen.push(chunk);
      })(),
    );
    expect(error).toMatchObject({ code: 'network', provider: 'vllm' });
    expect(error.message).toMatch(/before \[DONE\]/);
    expect(seen).toHaveLength(2);
  });

  it('throws an error sent inside the stream as a typed error, after the deltas before it', async () => {
    stream([delta('a'), data({ error: { message: 'model overloaded', type: 'server_error' } })]);
    const seen: unknown[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of provider().textGeneration('m').stream({ prompt: 'Hi' })) seen.push(chunk);
      })(),
    );
    expect(seen).toEqual([{ type: 'text-delta', text: 'a' }]);
    expect(error).toMatchObject({ code: 'server', provider: 'vllm' });
    expect(error.message).toMatch(/inside the stream: model overloaded/);
  });

  it('maps the status code of an in-stream error (vLLM sends code: 400)', async () => {
    stream([data({ error: { message: 'too long', type: 'BadRequestError', code: 400 } })]);
    expect(await failure(collect(provider().textGeneration('m').stream({ prompt: 'Hi' })))).toMatchObject({
      code: 'invalid_input',
      status: 400,
    });
  });

  it('maps an in-stream rate limit error by its type', async () => {
    stream([data({ error: { message: 'quota', type: 'rate_limit_exceeded' } })]);
    expect(await failure(collect(provider().textGeneration('m').stream({ prompt: 'Hi' })))).toMatchObject({
      code: 'rate_limit',
    });
  });

  it('throws an `event: error` as a typed error', async () => {
    stream([delta('a'), 'event: error\ndata: {"error":"backend crashed"}\n\n']);
    const error = await failure(collect(provider().textGeneration('m').stream({ prompt: 'Hi' })));
    expect(error).toMatchObject({ code: 'server' });
    expect(error.message).toMatch(/backend crashed/);
  });

  it('rejects a chunk that is not JSON with ResponseValidationError', async () => {
    stream([delta('a'), data('{not json')]);
    expect(await failure(collect(provider().textGeneration('m').stream({ prompt: 'Hi' })))).toMatchObject({
      code: 'response_validation',
    });
  });

  it('rejects a chunk of the wrong shape with ResponseValidationError', async () => {
    stream([data({ choices: 'none' })]);
    const error = await failure(collect(provider().textGeneration('m').stream({ prompt: 'Hi' })));
    expect(error).toMatchObject({ code: 'response_validation' });
    expect(error.message).toMatch(/choices/);
  });

  it('ignores events after [DONE]', async () => {
    stream([delta('a', 'stop'), data('[DONE]'), delta('late')]);
    const chunks = await collect(provider().textGeneration('m').stream({ prompt: 'Hi' }));
    expect(chunks).toEqual([
      { type: 'text-delta', text: 'a' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', usage: {} },
    ]);
  });

  it('maps an HTTP error status of a stream request to its typed error', async () => {
    server.use(
      http.post(`${BASE_URL}/chat/completions`, () =>
        HttpResponse.json({ error: { message: 'no such model' } }, { status: 404 }),
      ),
    );
    expect(await failure(collect(provider().textGeneration('m').stream({ prompt: 'Hi' })))).toMatchObject({
      code: 'not_found',
      status: 404,
    });
  });
});
