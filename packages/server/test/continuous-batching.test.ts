// Continuous batching seen from the server: tiny-gpt loaded with continuousBatching and served on
// 127.0.0.1 answers concurrent greedy completions with the texts the same model gives with batching
// off, a streaming client that disconnects frees its place in the batch, and the batch never holds
// more than maxBatch sequences.
import type { TextGenerationTask } from '@mlkit/core';
import { loadModel, type OnnxModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';

const API_KEY = 'sk-continuous-batching-0123456789';
const MAX_BATCH = 4;
const calls = [
  { prompt: 'The cat', max_tokens: 12 },
  { prompt: 'Once upon a time', max_tokens: 20 },
  { prompt: 'hello world', max_tokens: 7 },
  { prompt: 'a b c d e f', max_tokens: 16 },
  { prompt: 'Tomorrow the weather will be', max_tokens: 9 },
  { prompt: 'ok', max_tokens: 24 },
];
/** The generation the disconnecting client starts: long enough that it cannot end before the disconnect. */
const long = { prompt: '1 2 3', max_tokens: 100 };

let listening: Listening;
let batched: OnnxModel<TextGenerationTask>;
let alone: OnnxModel<TextGenerationTask>;

beforeAll(async () => {
  ensureFixtures();
  [batched, alone] = await Promise.all([
    loadModel(fixturePath('tiny-gpt'), {
      task: 'text-generation',
      continuousBatching: { maxBatch: MAX_BATCH },
    }),
    loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }),
  ]);
  const server = createServer({
    models: { 'tiny-gpt': batched },
    apiKeys: [API_KEY],
    limits: { maxConcurrency: 8 },
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await listening?.close();
  await Promise.all([batched?.dispose(), alone?.dispose()]);
});

function post(body: object, signal?: AbortSignal): Promise<Response> {
  return fetch(`${listening.url}/v1/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny-gpt', temperature: 0, ...body }),
    ...(signal && { signal }),
  });
}

async function complete(call: { prompt: string; max_tokens: number }) {
  const response = await post(call);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { choices: { text: string; finish_reason: string }[] };
  return { text: body.choices[0]?.text, finishReason: body.choices[0]?.finish_reason };
}

/** What the model gives with batching off, called in-process. */
async function direct(call: { prompt: string; max_tokens: number }) {
  const output = await alone.run({ prompt: call.prompt, maxTokens: call.max_tokens, temperature: 0 });
  return { text: output.text, outputTokens: output.usage.outputTokens ?? 0 };
}

const counters = () => {
  const info = batched.describe().continuousBatching;
  if (!info) throw new Error('describe() has no continuousBatching on a model loaded with it');
  return info;
};

describe('a continuously batched model behind @mlkit/server', () => {
  it('describe() has idle continuousBatching counters, and none on the model loaded without it', () => {
    expect(alone.describe().continuousBatching).toBeUndefined();
    expect(counters()).toMatchObject({ active: 0, waiting: 0, kvTokens: 0 });
  });

  it('answers 6 concurrent greedy completions with the texts of the model with batching off', async () => {
    const expected = await Promise.all(calls.map(async (call) => (await direct(call)).text));
    const stepsBefore = batched.describe().batches;
    const served = await Promise.all(calls.map(complete));
    expect(served.map((each) => each.text)).toEqual(expected);
    // They shared decode steps: fewer steps than the generations' tokens summed.
    const tokens = (await Promise.all(calls.map(direct))).reduce((sum, each) => sum + each.outputTokens, 0);
    expect(batched.describe().batches - stepsBefore).toBeLessThan(tokens);
    const info = counters();
    expect(info.active).toBe(0);
    expect(info.waiting).toBe(0);
    expect(info.peakActive).toBeGreaterThan(1);
    expect(info.peakActive).toBeLessThanOrEqual(MAX_BATCH);
    expect(info.peakKvTokens).toBeGreaterThan(0);
  });

  it('frees the place of a streaming client that disconnects, and the others finish', async () => {
    const longAlone = await direct(long);
    // Alone it runs to max_tokens, so only the disconnect can end it early.
    expect(longAlone.outputTokens).toBe(long.max_tokens);
    const others = calls.slice(0, 3);
    const expected = await Promise.all(others.map(async (call) => (await direct(call)).text));
    const stepsBefore = batched.describe().batches;

    const finished = Promise.all(others.map(complete));
    const disconnect = new AbortController();
    const response = await post({ ...long, stream: true }, disconnect.signal);
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('the stream has no body');
    const first = await reader.read();
    expect(first.done).toBe(false);
    // Disconnect at the first chunk: tiny-gpt is fast, so waiting longer would let it finish first.
    disconnect.abort();
    await reader.cancel().catch(() => undefined);

    expect((await finished).map((each) => each.text)).toEqual(expected);
    await vi.waitFor(() => expect(counters()).toMatchObject({ active: 0, waiting: 0, kvTokens: 0 }));
    // The disconnected generation stopped early: the batch ran fewer steps than it alone needs.
    expect(batched.describe().batches - stepsBefore).toBeLessThan(longAlone.outputTokens - 1);
    expect(counters().peakActive).toBeLessThanOrEqual(MAX_BATCH);
  });
});
