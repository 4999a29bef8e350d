// LangChain (`@langchain/openai` + `@langchain/core`), unmodified, against @mlkit/server on 127.0.0.1
// serving the repository's fixture models: what a user gets through LangChain equals what the model
// gives in-process — over chat completions (ChatOpenAI's default) and the Responses API (useResponsesApi).
import { type AIMessageChunk, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import type { EmbeddingTask, Model, TextGenerationTask } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures } from '../../../test/fixtures/paths.ts';
import { expectVectorsClose, loadFixtures } from './real-clients.ts';

const API_KEY = 'sk-langchain-client-0123456789';
const system = 'You are brief.';
const prompt = 'Hello there, how are you?';
const messages = [
  { role: 'system' as const, content: system },
  { role: 'user' as const, content: prompt },
];
const langchainMessages = [new SystemMessage(system), new HumanMessage(prompt)];
const texts = ['a cat sat on the mat', 'the weather is nice today', 'ok'];

let listening: Listening;
let direct: { gpt: Model<TextGenerationTask>; bert: Model<EmbeddingTask> };

beforeAll(async () => {
  ensureFixtures();
  const served = await loadFixtures();
  direct = await loadFixtures();
  const server = createServer({
    models: { 'tiny-gpt': served.gpt, 'tiny-bert': served.bert },
    apiKeys: [API_KEY],
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await listening?.close({ graceMs: 1000 }); // disposes the served copies
  await Promise.all(Object.values(direct ?? {}).map((model) => model.dispose()));
});

/** A ChatOpenAI pointed at the server, greedy; `maxRetries: 0` so a failure surfaces at once. */
const chatModel = (fields: { maxTokens?: number; useResponsesApi?: boolean; apiKey?: string } = {}) =>
  new ChatOpenAI({
    model: 'tiny-gpt',
    configuration: { baseURL: `${listening.url}/v1` },
    apiKey: API_KEY,
    temperature: 0,
    maxRetries: 0,
    ...fields,
  });

async function joined(stream: AsyncIterable<AIMessageChunk>) {
  const deltas: string[] = [];
  let last: AIMessageChunk | undefined;
  for await (const chunk of stream) {
    deltas.push(chunk.text);
    last = last ? last.concat(chunk) : chunk;
  }
  return { deltas: deltas.filter(Boolean), message: last! };
}

for (const api of ['chat completions', 'Responses API'] as const) {
  const useResponsesApi = api === 'Responses API';

  describe(`ChatOpenAI over the ${api}`, () => {
    it('invoke answers with the greedy text and token usage of the model run directly', async () => {
      const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 12 });
      const reply = await chatModel({ maxTokens: 12, useResponsesApi }).invoke(langchainMessages);
      expect(reply.text).toBe(expected.text);
      expect(reply.usage_metadata).toMatchObject({
        input_tokens: expected.usage.inputTokens,
        output_tokens: expected.usage.outputTokens,
        total_tokens: expected.usage.totalTokens,
      });
    });

    it('stream yields chunks that join to the direct greedy text, with usage', async () => {
      const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 20 });
      const { deltas, message } = await joined(
        await chatModel({ maxTokens: 20, useResponsesApi }).stream(langchainMessages),
      );
      expect(deltas.join('')).toBe(expected.text);
      expect(deltas.length).toBeGreaterThan(1);
      expect(message.usage_metadata).toMatchObject({
        input_tokens: expected.usage.inputTokens,
        output_tokens: expected.usage.outputTokens,
      });
    });

    it('continues a conversation that holds its own earlier reply', async () => {
      const model = chatModel({ maxTokens: 6, useResponsesApi });
      const first = await model.invoke(langchainMessages);
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
      const second = await model.invoke([...langchainMessages, first, new HumanMessage(followUp)]);
      expect(second.text).toBe(expected.text);
    });
  });
}

describe('OpenAIEmbeddings', () => {
  const embeddings = () =>
    new OpenAIEmbeddings({
      model: 'tiny-bert',
      configuration: { baseURL: `${listening.url}/v1` },
      apiKey: API_KEY,
      maxRetries: 0,
    });

  it('embedQuery returns the vector the model gives directly, within 1e-6', async () => {
    const expected = await direct.bert.run({ texts: [texts[0]!] });
    expectVectorsClose([await embeddings().embedQuery(texts[0]!)], expected.embeddings);
  });

  it('embedDocuments returns one vector per text, in order, equal to the direct ones within 1e-6', async () => {
    const expected = await direct.bert.run({ texts });
    expectVectorsClose(await embeddings().embedDocuments(texts), expected.embeddings);
  });
});

describe('a wrong API key through LangChain', () => {
  it('raises the openai SDK’s AuthenticationError, status 401, tagged MODEL_AUTHENTICATION', async () => {
    const error = await chatModel({ apiKey: 'sk-not-a-key-999999' })
      .invoke(prompt)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      code: 'invalid_api_key',
      lc_error_code: 'MODEL_AUTHENTICATION',
    });
  });

  it('fails embedQuery with the same 401 AuthenticationError', async () => {
    const wrong = new OpenAIEmbeddings({
      model: 'tiny-bert',
      configuration: { baseURL: `${listening.url}/v1` },
      apiKey: 'sk-not-a-key-999999',
      maxRetries: 0,
    });
    const error = await wrong.embedQuery('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401 });
  });
});
