// The Vercel AI SDK (`ai` + `@ai-sdk/openai`), unmodified, against @mlkit/server on 127.0.0.1 serving
// the repository's fixture models: what a user gets through the SDK equals what the model gives
// in-process. `openai(id)` is the SDK's default, the Responses API; `openai.chat(id)` is chat completions.
import { createOpenAI } from '@ai-sdk/openai';
import type { EmbeddingTask, Model, TextGenerationTask } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { APICallError, embed, embedMany, generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures } from '../../../test/fixtures/paths.ts';
import { expectVectorsClose, loadFixtures } from './real-clients.ts';

const API_KEY = 'sk-ai-sdk-client-0123456789';
const system = 'You are brief.';
const prompt = 'Hello there, how are you?';
const messages = [
  { role: 'system' as const, content: system },
  { role: 'user' as const, content: prompt },
];
const texts = ['a cat sat on the mat', 'the weather is nice today', 'ok'];

let listening: Listening;
let direct: { gpt: Model<TextGenerationTask>; bert: Model<EmbeddingTask> };
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  ensureFixtures();
  const served = await loadFixtures();
  direct = await loadFixtures();
  const server = createServer({
    models: { 'tiny-gpt': served.gpt, 'tiny-bert': served.bert },
    apiKeys: [API_KEY],
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  openai = createOpenAI({ baseURL: `${listening.url}/v1`, apiKey: API_KEY });
});

afterAll(async () => {
  await listening?.close({ graceMs: 1000 }); // disposes the served copies
  await Promise.all(Object.values(direct ?? {}).map((model) => model.dispose()));
});

describe('the AI SDK’s default model, openai(id), over the Responses API', () => {
  it('generateText gives the greedy text, finish reason and token usage of the model run directly', async () => {
    const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 12 });
    const result = await generateText({
      model: openai('tiny-gpt'),
      system,
      prompt,
      temperature: 0,
      maxOutputTokens: 12,
    });
    expect(result.text).toBe(expected.text);
    expect(result.finishReason).toBe(expected.finishReason);
    expect(result.usage).toMatchObject({
      inputTokens: expected.usage.inputTokens,
      outputTokens: expected.usage.outputTokens,
      totalTokens: expected.usage.totalTokens,
    });
  });

  it('generateText with no settings gives the model’s own default (greedy for this fixture) and "stop"', async () => {
    const short = [{ role: 'user' as const, content: 'The dog' }];
    const expected = await direct.gpt.run({ messages: short });
    const result = await generateText({ model: openai('tiny-gpt'), prompt: 'The dog' });
    expect(expected.finishReason).toBe('stop');
    expect(result.text).toBe(expected.text);
    expect(result.finishReason).toBe('stop');
  });

  it('streamText streams deltas that join to the direct greedy text', async () => {
    const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 20 });
    const result = streamText({
      model: openai('tiny-gpt'),
      system,
      prompt,
      temperature: 0,
      maxOutputTokens: 20,
    });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe(expected.text);
    expect(deltas.filter(Boolean).length).toBeGreaterThan(1);
    expect(await result.finishReason).toBe(expected.finishReason);
    expect(await result.usage).toMatchObject({
      inputTokens: expected.usage.inputTokens,
      outputTokens: expected.usage.outputTokens,
    });
  });

  it('continues a conversation built from result.response.messages when store is false', async () => {
    const noStore = { openai: { store: false } };
    const first = await generateText({
      model: openai('tiny-gpt'),
      system,
      prompt,
      temperature: 0,
      maxOutputTokens: 6,
      providerOptions: noStore,
    });
    const followUp = 'And then?';
    const expected = await direct.gpt.run({
      messages: [
        ...messages,
        { role: 'assistant', content: first.text },
        { role: 'user', content: followUp },
      ],
      temperature: 0,
      maxTokens: 6,
    });
    const second = await generateText({
      model: openai('tiny-gpt'),
      system,
      messages: [
        { role: 'user', content: prompt },
        ...first.response.messages,
        { role: 'user', content: followUp },
      ],
      temperature: 0,
      maxOutputTokens: 6,
      providerOptions: noStore,
    });
    expect(second.text).toBe(expected.text);
  });

  it('refuses the SDK’s default reference to an earlier reply (store not false) with a 400 that says to set store: false', async () => {
    const first = await generateText({ model: openai('tiny-gpt'), prompt, maxOutputTokens: 4 });
    const error = await generateText({
      model: openai('tiny-gpt'),
      messages: [
        { role: 'user', content: prompt },
        ...first.response.messages,
        { role: 'user', content: 'And then?' },
      ],
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect((error as APICallError).message).toMatch(/item_reference.*store.*false/s);
  });
});

describe('the AI SDK’s chat completions model, openai.chat(id)', () => {
  it('generateText gives the greedy text, finish reason and token usage of the model run directly', async () => {
    const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 12 });
    const result = await generateText({
      model: openai.chat('tiny-gpt'),
      system,
      prompt,
      temperature: 0,
      maxOutputTokens: 12,
    });
    expect(result.text).toBe(expected.text);
    expect(result.finishReason).toBe(expected.finishReason);
    expect(result.usage).toMatchObject({
      inputTokens: expected.usage.inputTokens,
      outputTokens: expected.usage.outputTokens,
      totalTokens: expected.usage.totalTokens,
    });
  });

  it('streamText streams deltas that join to the direct greedy text, with usage at the end', async () => {
    const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 20 });
    const result = streamText({
      model: openai.chat('tiny-gpt'),
      system,
      prompt,
      temperature: 0,
      maxOutputTokens: 20,
    });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe(expected.text);
    expect(deltas.filter(Boolean).length).toBeGreaterThan(1);
    expect(await result.finishReason).toBe(expected.finishReason);
    expect(await result.usage).toMatchObject({
      inputTokens: expected.usage.inputTokens,
      outputTokens: expected.usage.outputTokens,
    });
  });
});

describe('the AI SDK’s embedding model, openai.embedding(id)', () => {
  it('embed returns the vector the model gives directly, within 1e-6', async () => {
    const expected = await direct.bert.run({ texts: [texts[0]!] });
    const result = await embed({ model: openai.embedding('tiny-bert'), value: texts[0]! });
    expectVectorsClose([result.embedding], expected.embeddings);
    expect(result.usage.tokens).toBe(expected.usage.inputTokens);
  });

  it('embedMany returns one vector per text, in order, equal to the direct ones within 1e-6', async () => {
    const expected = await direct.bert.run({ texts });
    const result = await embedMany({ model: openai.embedding('tiny-bert'), values: texts });
    expectVectorsClose(result.embeddings, expected.embeddings);
  });
});

describe('a wrong API key through the AI SDK', () => {
  it('raises the SDK’s APICallError with statusCode 401, not retryable', async () => {
    const wrong = createOpenAI({ baseURL: `${listening.url}/v1`, apiKey: 'sk-not-a-key-999999' });
    const error = await generateText({ model: wrong('tiny-gpt'), prompt }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
    expect((error as APICallError).message).toContain('Incorrect API key');
  });

  it('fails embed the same way', async () => {
    const wrong = createOpenAI({ baseURL: `${listening.url}/v1`, apiKey: 'sk-not-a-key-999999' });
    const error = await embed({ model: wrong.embedding('tiny-bert'), value: 'x' }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401 });
  });
});
