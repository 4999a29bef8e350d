// OpenAI's logit_bias, presence/frequency penalties and token-id embedding input, served from the
// repository's tiny real ONNX models: each changes what the model gives, as the model run in-process says.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { createOpenAICompatible, type EmbeddingTask, type Model, type TextGenerationTask } from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';

const API_KEY = 'sk-onnx-parameters-0123456789';
const messages = [{ role: 'user' as const, content: 'Hello there, how are you?' }];

function tokenizerOf(name: 'tiny-gpt' | 'tiny-bert') {
  const read = (file: string) => JSON.parse(readFileSync(fixturePath(name, file), 'utf8'));
  return new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

let listening: Listening;
let client: OpenAI;
let gpt: Model<TextGenerationTask>;
let bert: Model<EmbeddingTask>;
let gptTokenizer: Tokenizer;

beforeAll(async () => {
  ensureFixtures();
  [gpt, bert] = await Promise.all([
    loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }),
    loadModel(fixturePath('tiny-bert'), { task: 'embedding' }),
  ]);
  gptTokenizer = tokenizerOf('tiny-gpt');
  const server = createServer({ models: { 'tiny-gpt': gpt, 'tiny-bert': bert }, apiKeys: [API_KEY] });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
});
afterAll(() => listening?.close({ graceMs: 1000 })); // disposes both models

const chat = async (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) =>
  (
    await client.chat.completions.create({
      model: 'tiny-gpt',
      messages,
      temperature: 0,
      max_tokens: 24,
      ...extra,
    })
  ).choices[0]!.message.content!;

const idsOf = (text: string) => gptTokenizer.encode(text, { add_special_tokens: false }).ids;

describe('logit_bias on a local ONNX model', () => {
  it('-100 on the greedy token makes greedy decoding pick another one', async () => {
    const greedy = await chat({ max_tokens: 1 });
    const banned = idsOf(greedy);
    expect(banned.length).toBeGreaterThan(0);
    const bias = Object.fromEntries(banned.map((id) => [String(id), -100]));
    const unbanned = await chat({ max_tokens: 1, logit_bias: bias });
    expect(unbanned).not.toBe(greedy);
    expect(idsOf(unbanned).some((id) => banned.includes(id))).toBe(false);
  });

  it('+100 forces a token at every step, in /v1/completions too', async () => {
    const forced = 300;
    const text = gptTokenizer.decode([forced, forced, forced], { skip_special_tokens: true });
    expect(await chat({ max_tokens: 3, logit_bias: { [forced]: 100 } })).toBe(text);
    const completion = await client.completions.create({
      model: 'tiny-gpt',
      prompt: 'Hello',
      max_tokens: 3,
      temperature: 0,
      logit_bias: { [forced]: 100 },
    });
    expect(completion.choices[0]!.text).toBe(text);
  });

  it('answers 400 for a token id outside the vocabulary', async () => {
    await expect(chat({ logit_bias: { '999999': 5 } })).rejects.toMatchObject({ status: 400 });
  });
});

describe('presence and frequency penalties on a local ONNX model', () => {
  // The tiny model's greedy answer to this repeats tokens over 24 steps, so penalties have something to bite on.
  const repetitive = [{ role: 'user' as const, content: 'the the the the' }];

  it.each(['presence_penalty', 'frequency_penalty'] as const)(
    '%s changes an output that repeats tokens',
    async (param) => {
      const plain = await chat({ messages: repetitive });
      const penalised = await chat({ messages: repetitive, [param]: 2 });
      expect(penalised).not.toBe(plain);
    },
  );

  it('counts generated tokens only: the first token, with nothing generated yet, is unchanged', async () => {
    const first = await chat({ messages: repetitive, max_tokens: 1 });
    expect(
      await chat({ messages: repetitive, max_tokens: 1, presence_penalty: 2, frequency_penalty: 2 }),
    ).toBe(first);
  });

  it('the mlkit client forwards them: the served text equals the in-process one', async () => {
    const remote = createOpenAICompatible({
      name: 'mlkit-server',
      baseURL: `${listening.url}/v1`,
      apiKey: API_KEY,
    }).textGeneration('tiny-gpt');
    const input = {
      messages: [{ role: 'user' as const, content: 'the the the the' }],
      temperature: 0,
      maxTokens: 16,
      presencePenalty: 1.5,
      frequencyPenalty: 0.5,
      logitBias: { 300: 3 },
    };
    const [local, served] = await Promise.all([gpt.run(input), remote.run(input)]);
    expect(served.text).toBe(local.text);
    expect(served.text).not.toBe(
      (await gpt.run({ ...input, presencePenalty: 0, frequencyPenalty: 0, logitBias: {} })).text,
    );
  });
});

describe('token-id embedding input on a local ONNX model', () => {
  const texts = ['a cat sat on the mat', 'ok'];

  it('feeds token ids as they are: the vectors equal those of the texts they encode', async () => {
    const tokenizer = tokenizerOf('tiny-bert');
    const tokens = texts.map((text) => tokenizer.encode(text).ids);
    const [byText, byIds] = await Promise.all([
      bert.run({ texts }),
      client.embeddings.create({ model: 'tiny-bert', input: tokens, encoding_format: 'float' }),
    ]);
    expect(byIds.data.map((d) => Float32Array.from(d.embedding))).toEqual(
      byText.embeddings.map((v) => Float32Array.from(v)),
    );
    expect(byIds.usage.prompt_tokens).toBe(tokens[0]!.length + tokens[1]!.length);
  });

  it('takes one flat array of ids as one input', async () => {
    const response = await client.embeddings.create({ model: 'tiny-bert', input: [2, 10, 11, 3] });
    expect(response.data).toHaveLength(1);
  });

  it('answers 400 for an id outside the vocabulary, naming where', async () => {
    await expect(
      client.embeddings.create({ model: 'tiny-bert', input: [[2, 999999]] }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('input.tokens[0][1]'),
    });
  });
});

describe('/v1/completions and /v1/responses on a local ONNX model', () => {
  it('answer the text the model gives in-process, streamed or not', async () => {
    const expected = await gpt.run({ prompt: 'Hello there', temperature: 0, maxTokens: 12 });
    expect(expected.text).not.toBe('');
    const completion = await client.completions.create({
      model: 'tiny-gpt',
      prompt: 'Hello there',
      temperature: 0,
      max_tokens: 12,
    });
    expect(completion.choices[0]!.text).toBe(expected.text);
    expect(completion.usage?.completion_tokens).toBe(expected.usage.outputTokens);

    const response = await client.responses.create({
      model: 'tiny-gpt',
      input: 'Hello there',
      temperature: 0,
      max_output_tokens: 12,
    });
    expect(response.output_text).toBe(expected.text);

    const stream = client.responses.stream({
      model: 'tiny-gpt',
      input: 'Hello there',
      temperature: 0,
      max_output_tokens: 12,
    });
    expect((await stream.finalResponse()).output_text).toBe(expected.text);
  });
});
