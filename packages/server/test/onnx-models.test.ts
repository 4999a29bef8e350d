// Real ONNX models (the repository's fixtures) served on 127.0.0.1: whatever calls the server — the
// official openai SDK, mlkit's own OpenAI-compatible provider, plain fetch — gets what the model
// gives when it is called in-process.
import {
  type ClassificationTask,
  createOpenAICompatible,
  type EmbeddingTask,
  type Model,
  type TextGenerationChunk,
  type TextGenerationInput,
  type TextGenerationTask,
  type Usage,
} from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';
import { expectVectorsClose } from './real-clients.ts';

const API_KEY = 'sk-onnx-fixtures-0123456789';
const messages = [
  { role: 'system' as const, content: 'You are brief.' },
  { role: 'user' as const, content: 'Hello there, how are you?' },
];
const texts = ['a cat sat on the mat', 'the weather is nice today', 'ok'];
const irisRows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.0, 2.2, 4.0, 1.0],
  [6.7, 3.0, 5.2, 2.3],
];

/** Each fixture loaded twice: one copy for the server, one called directly, so nothing is shared. */
async function loadFixtures() {
  const [gpt, bert, iris] = await Promise.all([
    loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }),
    loadModel(fixturePath('tiny-bert'), { task: 'embedding' }),
    loadModel(fixturePath('iris-classifier'), { task: 'classification' }),
  ]);
  return { gpt, bert, iris };
}

const tokenCounts = (usage: Usage) => ({
  inputTokens: usage.inputTokens,
  outputTokens: usage.outputTokens,
  totalTokens: usage.totalTokens,
});

async function collect(stream: AsyncIterable<TextGenerationChunk>) {
  const deltas: string[] = [];
  let finish: Extract<TextGenerationChunk, { type: 'finish' }> | undefined;
  for await (const chunk of stream) {
    if (chunk.type === 'text-delta') {
      if (chunk.text) deltas.push(chunk.text);
    } else if (chunk.type === 'finish') finish = chunk;
  }
  return {
    deltas,
    finish: finish && { finishReason: finish.finishReason, usage: tokenCounts(finish.usage) },
  };
}

let listening: Listening;
let direct: {
  gpt: Model<TextGenerationTask>;
  bert: Model<EmbeddingTask>;
  iris: Model<ClassificationTask>;
};

beforeAll(async () => {
  ensureFixtures();
  const served = await loadFixtures();
  direct = await loadFixtures();
  const server = createServer({
    models: { 'tiny-gpt': served.gpt, 'tiny-bert': served.bert, iris: served.iris },
    apiKeys: [API_KEY],
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await listening?.close({ graceMs: 1000 }); // disposes the served copies
  await Promise.all(Object.values(direct ?? {}).map((model) => model.dispose()));
});

describe('ONNX models served to the official openai SDK, unmodified', () => {
  let client: OpenAI;
  beforeAll(() => {
    client = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
  });

  it('answers a chat completion with the text, finish_reason and usage of the model run directly', async () => {
    const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 12 });
    const completion = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages,
      temperature: 0,
      max_tokens: 12,
    });
    expect(completion.choices[0]!.message.content).toBe(expected.text);
    expect(completion.choices[0]!.finish_reason).toBe(expected.finishReason);
    expect(completion.usage).toEqual({
      prompt_tokens: expected.usage.inputTokens,
      completion_tokens: expected.usage.outputTokens,
      total_tokens: expected.usage.totalTokens,
    });
  });

  it('reports finish_reason "stop" when the model ends at its eos token', async () => {
    // The tiny model answers this message with a few tokens and <|endoftext|>.
    const short = [{ role: 'user' as const, content: 'The dog' }];
    const expected = await direct.gpt.run({ messages: short, temperature: 0 });
    const completion = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages: short,
      temperature: 0,
    });
    expect(completion.choices[0]!.message.content).toBe(expected.text);
    expect(expected.finishReason).toBe('stop');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBe(expected.usage.outputTokens);
  });

  it('streams deltas that join to the direct text and ends with a usage chunk when include_usage is set', async () => {
    const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 20 });
    const stream = await client.chat.completions.create({
      model: 'tiny-gpt',
      messages,
      temperature: 0,
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(expected.text);
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    const finishReasons = chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean);
    expect(finishReasons).toEqual([expected.finishReason]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: expected.usage.inputTokens,
      completion_tokens: expected.usage.outputTokens,
      total_tokens: expected.usage.totalTokens,
    });
  });

  it('returns float and base64 embeddings within 1e-6 of the direct ones', async () => {
    const expected = await direct.bert.run({ texts });
    const float = await client.embeddings.create({
      model: 'tiny-bert',
      input: texts,
      encoding_format: 'float',
    });
    expect(float.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expectVectorsClose(
      float.data.map((d) => d.embedding),
      expected.embeddings,
    );
    expect(float.usage.prompt_tokens).toBe(expected.usage.inputTokens);

    // The SDK asks for base64 by default and decodes it to numbers.
    const decoded = await client.embeddings.create({ model: 'tiny-bert', input: texts });
    expectVectorsClose(
      decoded.data.map((d) => d.embedding),
      expected.embeddings,
    );
  });
});

describe('mlkit’s OpenAI-compatible provider against the server equals the local model', () => {
  const provider = () =>
    createOpenAICompatible({ name: 'mlkit-server', baseURL: `${listening.url}/v1`, apiKey: API_KEY });

  it('gives the same greedy text, finishReason and token usage from run()', async () => {
    const remote = provider().textGeneration('tiny-gpt');
    for (const input of [
      { messages, temperature: 0, maxTokens: 16 },
      { messages, temperature: 0 },
    ] satisfies TextGenerationInput[]) {
      const [local, served] = await Promise.all([direct.gpt.run(input), remote.run(input)]);
      expect(served.text).toBe(local.text);
      expect(served.finishReason).toBe(local.finishReason);
      expect(served.usage).toEqual(tokenCounts(local.usage));
    }
  });

  it('sends a prompt as one user message and answers it as the local model answers the same prompt', async () => {
    const options = { temperature: 0, maxTokens: 24 };
    const [asMessage, raw, served] = await Promise.all([
      direct.gpt.run({ messages: [{ role: 'user', content: 'The dog' }], ...options }),
      direct.gpt.run({ prompt: 'The dog', ...options }),
      provider()
        .textGeneration('tiny-gpt')
        .run({ prompt: 'The dog', ...options }),
    ]);
    expect(served.text).toBe(asMessage.text);
    expect(served.usage).toEqual(tokenCounts(asMessage.usage));
    // The swap: a prompt is one user turn both locally and through the server.
    expect(raw.text).toBe(served.text);
    expect(tokenCounts(raw.usage)).toEqual(served.usage);
  });

  it('streams the same deltas, finishReason and usage as the local stream', async () => {
    const input = { messages, temperature: 0, maxTokens: 20 };
    const local = await collect(direct.gpt.stream(input));
    const served = await collect(provider().textGeneration('tiny-gpt').stream(input));
    expect(served.deltas).toEqual(local.deltas);
    expect(served.finish).toEqual(local.finish);
  });

  it('passes seed, temperature, top_k and top_p through: seeded sampling gives the local text', async () => {
    const remote = provider().textGeneration('tiny-gpt');
    const sampling = { messages, temperature: 1, topK: 50, topP: 0.95, maxTokens: 24 };
    const seeded = [];
    for (const seed of [7, 8]) {
      const [local, served] = await Promise.all([
        direct.gpt.run({ ...sampling, seed }),
        remote.run({ ...sampling, seed }),
      ]);
      expect(served.text).toBe(local.text);
      expect(served.usage).toEqual(tokenCounts(local.usage));
      seeded.push(local.text);
    }
    // Different seeds sample different text, so the equality above is not greedy decoding in disguise.
    expect(seeded[0]).not.toBe(seeded[1]);
    expect(seeded[0]).not.toBe((await direct.gpt.run({ ...sampling, temperature: 0 })).text);
  });

  it('returns embeddings within 1e-6 of the local ones, in input order', async () => {
    const [local, served] = await Promise.all([
      direct.bert.run({ texts }),
      provider().embedding('tiny-bert').run({ texts }),
    ]);
    expect(served.dimensions).toBe(local.dimensions);
    expectVectorsClose(served.embeddings, local.embeddings);
    expect(served.usage.inputTokens).toBe(local.usage.inputTokens);
  });
});

describe('iris over /predict and OIP v2 infer equals model.run', () => {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${listening.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return response.json();
  };

  it('answers /predict/iris with the labels, confidences and scores of model.run', async () => {
    const { predictions } = await direct.iris.run({ rows: irisRows });
    expect(new Set(predictions.map((p) => p.label)).size).toBe(3); // one row per species
    const body = await post('/predict/iris', { data: irisRows });
    expect(body.prediction).toEqual(predictions.map((p) => p.label));
    expectVectorsClose([body.confidence], [predictions.map((p) => p.score)]);
    expect(body.scores.map((s: Record<string, number>) => Object.keys(s))).toEqual(
      predictions.map((p) => Object.keys(p.scores)),
    );
    expectVectorsClose(
      body.scores.map((s: Record<string, number>) => Object.values(s)),
      predictions.map((p) => Object.values(p.scores)),
    );

    const one = await post('/predict/iris', { data: irisRows[2] });
    expect(one.prediction).toBe(predictions[2]!.label);
    expect(one.confidence).toBeCloseTo(predictions[2]!.score, 6);
  });

  it('answers /v2/models/iris/infer with label, score and probabilities tensors of model.run', async () => {
    const { predictions } = await direct.iris.run({ rows: irisRows });
    const labels = Object.keys(predictions[0]!.scores);
    const body = await post('/v2/models/iris/infer', {
      id: 'iris-1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 4], data: irisRows.flat() }],
    });
    expect(body.model_name).toBe('iris');
    expect(body.id).toBe('iris-1');
    const output = (name: string) => body.outputs.find((o: { name: string }) => o.name === name);
    expect(output('label')).toMatchObject({
      datatype: 'BYTES',
      shape: [3],
      data: predictions.map((p) => p.label),
    });
    expect(output('score')).toMatchObject({ datatype: 'FP64', shape: [3] });
    expectVectorsClose([output('score').data], [predictions.map((p) => p.score)]);
    const probabilities = output('probabilities');
    expect(probabilities).toMatchObject({
      datatype: 'FP64',
      shape: [3, labels.length],
      parameters: { labels },
    });
    expectVectorsClose(
      [probabilities.data],
      [predictions.flatMap((p) => labels.map((label) => p.scores[label]!))],
    );
  });
});
