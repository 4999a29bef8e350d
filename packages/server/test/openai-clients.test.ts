// What real OpenAI clients send and expect beyond chat: a wrong key, /v1/completions, /v1/responses,
// refused parameters — with the official openai SDK, unmodified, against the server on 127.0.0.1.
import { defineModel, ServerError, textGeneration } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeChatModel, fakeEmbeddingModel, replyOf } from './fakes.ts';

const KEY = 'sk-clients-test-key-42';

let listening: Listening;
let client: OpenAI;

beforeAll(async () => {
  const server = createServer({
    models: { 'tiny-gpt': fakeChatModel().model, bert: fakeEmbeddingModel().model },
    apiKeys: [KEY],
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => listening.close({ graceMs: 1000 }));

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${listening.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('a wrong API key', () => {
  it('is a 401 with OpenAI’s invalid_api_key error body', async () => {
    const response = await post('/v1/models', {}, { authorization: 'Bearer sk-not-a-key-999' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        message: expect.stringContaining('Incorrect API key'),
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        param: null,
      },
    });
  });

  it('raises the SDK’s AuthenticationError', async () => {
    const wrong = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: 'sk-not-a-key-999', maxRetries: 0 });
    const error = await wrong.completions.create({ model: 'tiny-gpt', prompt: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
  });
});

describe('POST /v1/completions', () => {
  it('answers a text_completion for a string prompt', async () => {
    const completion = await client.completions.create({
      model: 'tiny-gpt',
      prompt: 'tell me more',
      max_tokens: 50,
      temperature: 0,
    });
    expect(completion.object).toBe('text_completion');
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.choices).toEqual([
      { index: 0, text: replyOf({ prompt: 'tell me more' }), logprobs: null, finish_reason: 'stop' },
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
  });

  it('answers one choice per prompt of an array, in order, with summed usage', async () => {
    const completion = await client.completions.create({ model: 'tiny-gpt', prompt: ['one', 'two words'] });
    expect(completion.choices.map((c) => [c.index, c.text])).toEqual([
      [0, 'You said: one'],
      [1, 'You said: two words'],
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 });
  });

  it('honours max_tokens and stop', async () => {
    const cut = await client.completions.create({ model: 'tiny-gpt', prompt: 'a b c d', max_tokens: 3 });
    expect(cut.choices[0]).toMatchObject({ text: 'You said: a', finish_reason: 'length' });
    const stopped = await client.completions.create({ model: 'tiny-gpt', prompt: 'a b c d', stop: [' c'] });
    expect(stopped.choices[0]!.text).toBe('You said: a b');
  });

  it('defaults max_tokens to 16, as OpenAI does', async () => {
    const long = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    const completion = await client.completions.create({ model: 'tiny-gpt', prompt: long });
    expect(completion.usage?.completion_tokens).toBe(16);
    expect(completion.choices[0]!.finish_reason).toBe('length');
  });

  it('streams text_completion chunks that join to the full text, then [DONE]', async () => {
    const stream = await client.completions.create({
      model: 'tiny-gpt',
      prompt: 'stream these words please',
      stream: true,
    });
    const texts: string[] = [];
    const finishReasons: (string | null)[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      texts.push(chunk.choices[0]!.text);
      finishReasons.push(chunk.choices[0]!.finish_reason);
    }
    expect(texts.join('')).toBe(replyOf({ prompt: 'stream these words please' }));
    expect(texts.filter(Boolean).length).toBeGreaterThan(3);
    expect(finishReasons.at(-1)).toBe('stop');

    const raw = await (
      await post('/v1/completions', { model: 'tiny-gpt', prompt: 'hi', stream: true })
    ).text();
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('streams the prompts of an array one after the other, each choice with its index', async () => {
    const stream = await client.completions.create({
      model: 'tiny-gpt',
      prompt: ['first', 'second one'],
      stream: true,
    });
    const texts = ['', ''];
    const finished: number[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0]!;
      texts[choice.index] += choice.text;
      if (choice.finish_reason) finished.push(choice.index);
    }
    expect(texts).toEqual(['You said: first', 'You said: second one']);
    expect(finished).toEqual([0, 1]);
  });

  it('refuses token-id prompts with a 400 naming prompt', async () => {
    await expect(client.completions.create({ model: 'tiny-gpt', prompt: [1, 2, 3] })).rejects.toMatchObject({
      status: 400,
      code: 'unsupported_parameter',
      param: 'prompt',
    });
  });
});

describe('POST /v1/responses', () => {
  it('answers a response object for a string input, with output_text for the SDK', async () => {
    const response = await client.responses.create({ model: 'tiny-gpt', input: 'hello responses' });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'tiny-gpt',
      output: [
        {
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'You said: hello responses', annotations: [] }],
        },
      ],
      usage: { input_tokens: 2, output_tokens: 4, total_tokens: 6 },
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output[0]!.id).toMatch(/^msg_/);
    expect(typeof response.created_at).toBe('number');
    expect(response.output_text).toBe('You said: hello responses');
  });

  it('takes message items with string or input_text content, and instructions as a system turn', async () => {
    const response = await client.responses.create({
      model: 'tiny-gpt',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: [{ type: 'input_text', text: 'second question' }] },
      ],
    });
    expect(response.output_text).toBe('You said: second question');
    // The fake counts every message's words: instructions (2) + three turns (2 + 2 + 2).
    expect(response.usage?.input_tokens).toBe(8);
  });

  it('honours max_output_tokens and reports the cut as incomplete', async () => {
    const response = await client.responses.create({
      model: 'tiny-gpt',
      input: 'a b c d e',
      max_output_tokens: 2,
      temperature: 0,
    });
    expect(response.output_text).toBe('You said:');
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('streams the Responses events in OpenAI’s order with increasing sequence numbers', async () => {
    const stream = await client.responses.create({
      model: 'tiny-gpt',
      input: 'stream this please',
      stream: true,
    });
    const events = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    expect(deltas).toBeGreaterThan(2);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const done = events.find((e) => e.type === 'response.output_text.done');
    expect(done && 'text' in done && done.text).toBe('You said: stream this please');
  });

  it('sends each event as `event: <type>` then its data', async () => {
    const raw = await (await post('/v1/responses', { model: 'tiny-gpt', input: 'hi', stream: true })).text();
    const blocks = raw.trim().split('\n\n');
    for (const block of blocks) {
      const [eventLine, dataLine] = block.split('\n');
      const type = eventLine!.replace(/^event: /, '');
      expect(JSON.parse(dataLine!.replace(/^data: /, '')).type).toBe(type);
    }
    expect(blocks.at(-1)).toContain('event: response.completed');
  });

  it('accumulates the stream into the final response with the SDK’s responses.stream', async () => {
    const stream = client.responses.stream({ model: 'tiny-gpt', input: 'accumulate me' });
    let text = '';
    stream.on('response.output_text.delta', (event) => {
      text += event.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('You said: accumulate me');
    expect(text).toBe(final.output_text);
    expect(final.status).toBe('completed');
  });

  it('takes explicit type: "message" items and the developer role', async () => {
    const response = await client.responses.create({
      model: 'tiny-gpt',
      input: [
        { type: 'message', role: 'developer', content: 'Answer in one word.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'typed item' }] },
      ],
    });
    expect(response.output_text).toBe('You said: typed item');
  });

  it.each([
    ['tools', { tools: [{ type: 'function', name: 'f', parameters: {}, strict: false }] }],
    ['previous_response_id', { previous_response_id: 'resp_123' }],
    ['text.format', { text: { format: { type: 'json_object' } } }],
    ['input[0].type', { input: [{ type: 'function_call_output', call_id: 'c', output: 'x' }] }],
    [
      'input[0].content[0].type',
      { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] },
    ],
  ])('refuses %s with a 400 that names it', async (param, extra) => {
    await expect(
      client.responses.create({ model: 'tiny-gpt', input: 'x', ...extra } as never),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter', param });
  });
});

describe('parameters a model cannot honour', () => {
  it.each([
    ['frequency_penalty', { frequency_penalty: 0.5 }],
    ['presence_penalty', { presence_penalty: 1 }],
    ['logit_bias', { logit_bias: { '5': -100 } }],
  ])('refuses %s for a model without logitAdjustments, in chat and completions', async (param, extra) => {
    await expect(
      client.chat.completions.create({
        model: 'tiny-gpt',
        messages: [{ role: 'user', content: 'x' }],
        ...extra,
      }),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter', param });
    await expect(
      client.completions.create({ model: 'tiny-gpt', prompt: 'x', ...extra }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'unsupported_parameter',
      param,
    });
  });

  it('refuses token-id embedding input for a model that takes texts only', async () => {
    await expect(client.embeddings.create({ model: 'bert', input: [1, 2, 3] })).rejects.toMatchObject({
      status: 400,
      code: 'unsupported_parameter',
      param: 'input',
    });
  });

  it('checks logit_bias values against OpenAI’s -100..100', async () => {
    await expect(
      client.completions.create({ model: 'tiny-gpt', prompt: 'x', logit_bias: { '5': -101 } }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe('a JSON body sent as curl -d sends it (application/x-www-form-urlencoded)', () => {
  it('is read as JSON', async () => {
    const response = await post(
      '/v1/completions',
      { model: 'tiny-gpt', prompt: 'from curl' },
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].text).toBe('You said: from curl');
  });

  it('is still a 415 when the form body is not JSON', async () => {
    const response = await post('/v1/completions', 'model=tiny-gpt&prompt=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(415);
  });
});

describe('a stream that fails after its first chunk', () => {
  let failing: Listening;
  beforeAll(async () => {
    const model = defineModel({
      id: 'test:failing',
      task: textGeneration,
      capabilities: { streaming: true, batching: false, local: true },
      run: () => Promise.reject(new Error('unused')),
      async *stream() {
        yield { type: 'text-delta' as const, text: 'partial' };
        throw new ServerError('the model broke mid-answer');
      },
    });
    failing = await listen(createServer({ models: { broken: model }, logger: { error() {} } }), {
      port: 0,
      host: '127.0.0.1',
    });
  });
  afterAll(() => failing.close({ graceMs: 1000 }));

  const events = async (path: string, body: unknown) =>
    (
      await (
        await fetch(`${failing.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).text()
    )
      .trim()
      .split('\n\n');

  it('ends /v1/responses with an error event and no response.completed', async () => {
    const blocks = await events('/v1/responses', { model: 'broken', input: 'x', stream: true });
    expect(blocks.some((b) => b.includes('response.output_text.delta'))).toBe(true);
    expect(blocks.at(-1)).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(blocks.at(-1)!.split('data: ')[1]!)).toMatchObject({
      type: 'error',
      code: 'upstream_error',
    });
    expect(blocks.some((b) => b.includes('response.completed'))).toBe(false);
  });

  it('ends /v1/completions with an {error} event and no [DONE]', async () => {
    const blocks = await events('/v1/completions', { model: 'broken', prompt: 'x', stream: true });
    expect(JSON.parse(blocks.at(-1)!.replace(/^data: /, ''))).toMatchObject({
      error: { code: 'upstream_error' },
    });
    expect(blocks).not.toContain('data: [DONE]');
  });

  it('raises the error from the openai SDK’s Responses stream', async () => {
    const sdk = new OpenAI({ baseURL: `${failing.url}/v1`, apiKey: 'none', maxRetries: 0 });
    const stream = await sdk.responses.create({ model: 'broken', input: 'x', stream: true });
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toThrow(/the model broke mid-answer/);
  });
});
