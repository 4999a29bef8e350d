import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingOf, fakeChatModel, fakeEmbeddingModel, replyOf } from './fakes.ts';

// The official SDK, unmodified, against the server on 127.0.0.1.
describe('OpenAI-compatible API with the official openai SDK', () => {
  const chat = fakeChatModel();
  const embeddings = fakeEmbeddingModel();
  let listening: Listening;
  let client: OpenAI;

  beforeAll(async () => {
    const server = createServer({
      models: { 'tiny-gpt': chat.model, bert: embeddings.model },
      apiKeys: ['sk-test-key-123456'],
    });
    listening = await listen(server, { port: 0, host: '127.0.0.1' });
    client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: 'sk-test-key-123456', maxRetries: 0 });
  });
  afterAll(() => listening.close({ graceMs: 1000 }));

  it('lists the served models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(['bert', 'tiny-gpt']);
    expect((await client.models.retrieve('bert')).id).toBe('bert');
  });

  it('answers a chat completion with text, finish_reason and usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there world' },
      ],
      temperature: 0,
      seed: 7,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('tiny-gpt');
    expect(completion.choices[0]!.message).toMatchObject({
      role: 'assistant',
      content: 'You said: hello there world',
    });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
  });

  it('maps max_tokens to maxTokens and reports finish_reason length', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages: [{ role: 'user', content: 'one two three four' }],
      max_tokens: 3,
    });
    expect(completion.choices[0]!.message.content).toBe('You said: one');
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it('honours stop sequences', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages: [{ role: 'user', content: 'alpha beta gamma' }],
      stop: [' gamma'],
    });
    expect(completion.choices[0]!.message.content).toBe('You said: alpha beta');
  });

  it('streams chat.completion.chunk deltas that join to the full text', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages: [{ role: 'user', content: 'stream these words please' }],
      stream: true,
    });
    const deltas: string[] = [];
    const finishReasons: (string | null)[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      deltas.push(chunk.choices[0]?.delta.content ?? '');
      finishReasons.push(chunk.choices[0]?.finish_reason ?? null);
    }
    expect(deltas.join('')).toBe(
      replyOf({ messages: [{ role: 'user', content: 'stream these words please' }] }),
    );
    expect(deltas.filter(Boolean).length).toBeGreaterThan(3);
    expect(finishReasons.at(-1)).toBe('stop');
  });

  it('ends a stream with a usage chunk (choices: []) when stream_options.include_usage is set', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages: [{ role: 'user', content: 'count me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('returns float embeddings equal to the model’s own', async () => {
    const response = await client.embeddings.create({
      model: 'bert',
      input: ['a cat', 'a dog'],
      encoding_format: 'float',
    });
    expect(response.data.map((d) => d.index)).toEqual([0, 1]);
    expect(Float32Array.from(response.data[0]!.embedding)).toEqual(embeddingOf('a cat'));
    expect(Float32Array.from(response.data[1]!.embedding)).toEqual(embeddingOf('a dog'));
    expect(response.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it('returns base64 embeddings, the SDK’s default, that decode to the same vectors', async () => {
    const decoded = await client.embeddings.create({ model: 'bert', input: 'a single text' });
    expect(Float32Array.from(decoded.data[0]!.embedding)).toEqual(embeddingOf('a single text'));

    const raw = await client.embeddings.create({
      model: 'bert',
      input: 'a single text',
      encoding_format: 'base64',
    });
    const bytes = Uint8Array.from(atob(raw.data[0]!.embedding as unknown as string), (c) => c.charCodeAt(0));
    expect(new Float32Array(bytes.buffer)).toEqual(embeddingOf('a single text'));
  });

  it('passes dimensions to the model', async () => {
    const response = await client.embeddings.create({ model: 'bert', input: 'short', dimensions: 4 });
    expect(response.data[0]!.embedding).toHaveLength(4);
  });

  it('raises the SDK’s typed errors for an unknown model, a wrong key and a bad request', async () => {
    await expect(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });

    const wrongKey = new OpenAI({
      baseURL: `${listening.url}/v1`,
      apiKey: 'sk-wrong-key-000000',
      maxRetries: 0,
    });
    await expect(wrongKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    await expect(
      client.chat.completions.create({
        model: 'tiny-gpt',
        messages: [{ role: 'user', content: 'x' }],
        temperature: 3,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature' });
  });
});
