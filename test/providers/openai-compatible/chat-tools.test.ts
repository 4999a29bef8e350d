// The openai-compatible text model with tools, structured output, images and refusals: what it
// sends over HTTP, and how it reads tool calls from answers and from each way servers stream them.
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOpenAICompatible, type TextGenerationChunk } from '../../../src/index.ts';
import { BASE_URL, collect, data, failure, mockServer, recorder, sseResponse } from './support.ts';

const server = mockServer();
const model = () =>
  createOpenAICompatible({ name: 'vllm', baseURL: BASE_URL, maxRetries: 0 }).textGeneration('m');

const weather = {
  name: 'weather',
  parameters: z.object({ location: z.string(), unit: z.enum(['c', 'f']).default('c') }),
};
const input = { prompt: 'Weather in Paris?', tools: [weather] };

function answer(message: object, finishReason: string | null) {
  server.use(
    http.post(`${BASE_URL}/chat/completions`, () =>
      HttpResponse.json({
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
      }),
    ),
  );
}

function stream(parts: string[]) {
  server.use(http.post(`${BASE_URL}/chat/completions`, () => sseResponse(parts)));
}

/** A chat.completion.chunk whose one choice has `delta` (and `finish_reason`). */
const chunk = (delta: object, finishReason: string | null = null) =>
  data({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }] });
const calls = (...toolCalls: object[]) => chunk({ tool_calls: toolCalls });
const finish = (reason = 'tool_calls') => chunk({}, reason);

const call = (id: string, name: string, args: string) => ({
  id,
  type: 'function',
  function: { name, arguments: args },
});

describe('openai-compatible text generation with tools: request', () => {
  it('declares tools, jsonSchema and images (the hosted server decides)', () => {
    expect(model().capabilities).toMatchObject({ tools: true, jsonSchema: true, images: true });
  });

  it('posts tools, tool_choice and a strict json_schema response_format', async () => {
    const log = recorder();
    server.use(
      http.post(`${BASE_URL}/chat/completions`, async ({ request }) => {
        await log.record(request);
        return HttpResponse.json({
          choices: [{ message: { content: '{"ok":true}' }, finish_reason: 'stop' }],
        });
      }),
    );
    await model().run({
      prompt: 'Hi',
      tools: [weather],
      toolChoice: 'auto',
      responseFormat: { type: 'json', schema: z.object({ ok: z.boolean() }) },
    });
    expect(log.requests[0]!.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
      tool_choice: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'response', strict: true } },
    });
  });
});

describe('openai-compatible text generation with tools: response', () => {
  it('returns the tool calls with their arguments parsed and checked against the tool schema', async () => {
    answer(
      {
        content: null,
        tool_calls: [
          call('call_1', 'weather', '{"location":"Paris"}'),
          call('call_2', 'weather', '{"location":"Rome","unit":"f"}'),
        ],
      },
      'tool_calls',
    );
    expect(await model().run(input)).toEqual({
      text: '',
      toolCalls: [
        // The zod schema's default applies.
        { id: 'call_1', name: 'weather', arguments: { location: 'Paris', unit: 'c' } },
        { id: 'call_2', name: 'weather', arguments: { location: 'Rome', unit: 'f' } },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
      usage: {},
    });
  });

  it("reports 'tool-calls' for a turn with tool calls that the server finished as 'stop'", async () => {
    answer({ content: '', tool_calls: [call('c', 'weather', '{"location":"Oslo"}')] }, 'stop');
    const output = await model().run(input);
    expect(output.finishReason).toBe('tool-calls');
    expect(output.rawFinishReason).toBe('stop');
  });

  it('fails with InvalidOutputError naming the tool when the arguments do not match its schema', async () => {
    answer({ tool_calls: [call('c', 'weather', '{"city":"Paris"}')] }, 'tool_calls');
    const error = await failure(model().run(input));
    expect(error).toMatchObject({ code: 'invalid_output', toolName: 'weather' });
    expect(error.message).toMatch(/location/);
  });

  it('fails with InvalidOutputError when the arguments are not JSON', async () => {
    answer({ tool_calls: [call('c', 'weather', '{"location": Paris}')] }, 'tool_calls');
    expect(await failure(model().run(input))).toMatchObject({ code: 'invalid_output', toolName: 'weather' });
  });

  it('returns the refusal of a model that declined to answer', async () => {
    answer({ content: null, refusal: 'I cannot help with that.' }, 'stop');
    const output = await model().run({ prompt: 'Hi' });
    expect(output).toMatchObject({ text: '', refusal: 'I cannot help with that.', finishReason: 'stop' });
  });

  it('returns a json answer parsed as object', async () => {
    answer({ content: '{"ok":true}' }, 'stop');
    const output = await model().run({
      prompt: 'Hi',
      responseFormat: { type: 'json', schema: z.object({ ok: z.boolean() }) },
    });
    expect(output.object).toEqual({ ok: true });
  });
});

describe('openai-compatible text generation with tools: stream', () => {
  const toolChunks = (chunks: TextGenerationChunk[]) => chunks.filter((c) => c.type !== 'text-delta');

  it('yields argument pieces as tool-call deltas, then the checked call, then finish', async () => {
    stream([
      calls({ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }),
      calls({ index: 0, function: { arguments: '{"locat' } }),
      calls({ index: 0, function: { arguments: 'ion":"Paris"}' } }),
      finish(),
      data('[DONE]'),
    ]);
    expect(await collect(model().stream(input))).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: '{"locat' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: 'ion":"Paris"}' },
      {
        type: 'tool-call',
        index: 0,
        id: 'call_1',
        name: 'weather',
        arguments: { location: 'Paris', unit: 'c' },
      },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls', usage: {} },
    ]);
  });

  it('keeps interleaved parallel calls apart by index and completes them in order', async () => {
    stream([
      calls(call('call_a', 'weather', ''), { index: 1, ...call('call_b', 'weather', '') }),
      calls({ index: 1, function: { arguments: '{"location":"Rome"}' } }),
      calls({ index: 0, function: { arguments: '{"location":"Paris"}' } }),
      finish(),
    ]);
    const chunks = toolChunks(await collect(model().stream(input)));
    expect(chunks.filter((c) => c.type === 'tool-call')).toEqual([
      {
        type: 'tool-call',
        index: 0,
        id: 'call_a',
        name: 'weather',
        arguments: { location: 'Paris', unit: 'c' },
      },
      {
        type: 'tool-call',
        index: 1,
        id: 'call_b',
        name: 'weather',
        arguments: { location: 'Rome', unit: 'c' },
      },
    ]);
  });

  it('tells calls apart by id when the server leaves index out', async () => {
    stream([
      calls(call('call_a', 'weather', '{"location":"Paris"}')),
      calls(call('call_b', 'weather', '{"location":"Rome"}')),
      finish(),
    ]);
    const completed = (await collect(model().stream(input))).filter((c) => c.type === 'tool-call');
    expect(completed.map((c) => [c.index, c.id, c.arguments])).toEqual([
      [0, 'call_a', { location: 'Paris', unit: 'c' }],
      [1, 'call_b', { location: 'Rome', unit: 'c' }],
    ]);
  });

  it('holds arguments that arrive before the name until the name arrives', async () => {
    stream([
      calls({ index: 0, id: 'call_1', function: { arguments: '{"location":' } }),
      calls({ index: 0, function: { name: 'weather', arguments: '"Paris"}' } }),
      finish(),
    ]);
    expect((await collect(model().stream(input))).slice(0, 2)).toEqual([
      {
        type: 'tool-call-delta',
        index: 0,
        id: 'call_1',
        name: 'weather',
        argumentsDelta: '{"location":"Paris"}',
      },
      {
        type: 'tool-call',
        index: 0,
        id: 'call_1',
        name: 'weather',
        arguments: { location: 'Paris', unit: 'c' },
      },
    ]);
  });

  it('numbers calls from 0 whatever index the server starts at', async () => {
    stream([calls({ index: 3, ...call('call_1', 'weather', '{"location":"Oslo"}') }), finish()]);
    const completed = (await collect(model().stream(input))).find((c) => c.type === 'tool-call');
    expect(completed).toMatchObject({ index: 0, id: 'call_1' });
  });

  it('completes the calls of a stream that ends with [DONE] but no finish_reason', async () => {
    stream([calls({ index: 0, ...call('call_1', 'weather', '{"location":"Oslo"}') }), data('[DONE]')]);
    const chunks = await collect(model().stream(input));
    expect(chunks.map((c) => c.type)).toEqual(['tool-call-delta', 'tool-call', 'finish']);
    expect(chunks.at(-1)).toEqual({ type: 'finish', finishReason: 'tool-calls', usage: {} });
  });

  it('gives a call without arguments as an empty object', async () => {
    stream([calls({ index: 0, ...call('call_1', 'now', '') }), finish()]);
    const chunks = await collect(model().stream({ prompt: 'Time?', tools: [{ name: 'now' }] }));
    expect(chunks[0]).toEqual({ type: 'tool-call', index: 0, id: 'call_1', name: 'now', arguments: {} });
  });

  it('fails with ResponseValidationError for a streamed call that never got a name', async () => {
    stream([calls({ index: 0, id: 'call_1', function: { arguments: '{}' } }), finish()]);
    const error = await failure(collect(model().stream(input)));
    expect(error).toMatchObject({ code: 'response_validation', provider: 'vllm' });
    expect(error.message).toMatch(/without a function name/);
  });

  it('fails with InvalidOutputError when a streamed call does not match its tool', async () => {
    stream([calls({ index: 0, ...call('call_1', 'weather', '{"location":42}') }), finish()]);
    expect(await failure(collect(model().stream(input)))).toMatchObject({
      code: 'invalid_output',
      toolName: 'weather',
    });
  });

  it('gives refusal pieces as the refusal of the finish chunk', async () => {
    stream([
      chunk({ role: 'assistant', content: '', refusal: null }),
      chunk({ refusal: "I can't" }),
      chunk({ refusal: ' help.' }),
      finish('stop'),
    ]);
    expect(await collect(model().stream({ prompt: 'Hi' }))).toEqual([
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', refusal: "I can't help.", usage: {} },
    ]);
  });

  it('ignores empty tool_calls arrays beside text', async () => {
    stream([chunk({ content: 'Hel', tool_calls: [] }), chunk({ content: 'lo', tool_calls: [] }, 'stop')]);
    expect(await collect(model().stream({ prompt: 'Hi' }))).toEqual([
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop', usage: {} },
    ]);
  });
});
