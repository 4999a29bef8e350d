// Client -> @mlkit/server on 127.0.0.1 -> the repository's fixture models -> back: the OIP v2
// client gets what the model gives when it is called in-process, over JSON and binary tensors.
import { createOpenInference, type Model, NotFoundError, type Tensor } from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeTensorModel } from '../../../packages/server/test/fakes.ts';
import { ensureFixtures, fixturePath } from '../../fixtures/paths.ts';

const irisRows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.0, 2.2, 4.0, 1.0],
  [6.7, 3.0, 5.2, 2.3],
];
const texts = ['a cat sat on the mat', 'the weather is nice today', 'ok'];

async function loadFixtures() {
  const [gpt, bert, iris, irisTensor] = await Promise.all([
    loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }),
    loadModel(fixturePath('tiny-bert'), { task: 'embedding' }),
    loadModel(fixturePath('iris-classifier'), { task: 'classification' }),
    loadModel(fixturePath('iris-classifier'), { task: 'tensor' }),
  ]);
  return { gpt, bert, iris, irisTensor };
}

let listening: Listening;
let direct: Awaited<ReturnType<typeof loadFixtures>>;
const client = (binary = false) => createOpenInference({ baseURL: listening.url, maxRetries: 0, binary });

beforeAll(async () => {
  ensureFixtures();
  const served = await loadFixtures();
  direct = await loadFixtures();
  const server = createServer({
    models: {
      'tiny-gpt': served.gpt,
      'tiny-bert': served.bert,
      iris: served.iris,
      'iris-tensor': served.irisTensor,
      echo: fakeTensorModel().model,
    },
  });
  listening = await listen(server, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  // The tests probed readiness; no load balancer to wait for.
  await listening?.close({ graceMs: 1000, drainDelayMs: 0 });
  await Promise.all(Object.values(direct ?? {}).map((model: Model) => model.dispose()));
});

describe.each([false, true])('OIP v2 client -> @mlkit/server (binary: %s)', (binary) => {
  it('classifies iris rows as the model does in-process', async () => {
    const expected = await direct.iris.run({ rows: irisRows });
    const actual = await client(binary).classification('iris').run({ rows: irisRows });
    expect(actual.predictions).toEqual(expected.predictions);
  });

  it('runs the iris graph as a tensor model with the outputs of the model in-process', async () => {
    const features: Tensor = { dtype: 'float32', shape: [3, 4], data: Float32Array.from(irisRows.flat()) };
    const input = { inputs: { float_input: features } };
    const expected = await direct.irisTensor.run(input);
    const actual = await client(binary).tensor('iris-tensor').run(input);
    expect(Object.keys(actual.outputs).sort()).toEqual(Object.keys(expected.outputs).sort());
    for (const [name, tensor] of Object.entries(expected.outputs))
      expect(actual.outputs[name]).toEqual(tensor);
  });

  it('embeds texts into the vectors of the model in-process', async () => {
    const expected = await direct.bert.run({ texts });
    const actual = await client(binary).embedding('tiny-bert').run({ texts });
    expect(actual.dimensions).toBe(expected.dimensions);
    expect(actual.embeddings).toEqual(expected.embeddings);
  });

  it('round-trips BYTES, FP16, BOOL and INT64/UINT64 beyond 2^53 exactly', async () => {
    const inputs: Record<string, Tensor> = {
      s: { dtype: 'string', shape: [3], data: ['héllo', '', '日本語'] },
      h: { dtype: 'float16', shape: [3], data: Uint16Array.of(0x3c00, 0xc000, 0x7bff) }, // 1, -2, 65504
      b: { dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0) },
      i: { dtype: 'int64', shape: [2], data: BigInt64Array.of(9007199254740993n, -(2n ** 63n)) },
      u: { dtype: 'uint64', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
    };
    const seen: { sent: string | null; answered: string | null }[] = [];
    const recording: typeof fetch = async (url, init) => {
      const response = await fetch(url, init);
      const sent = new Headers(init?.headers).get('inference-header-content-length');
      seen.push({ sent, answered: response.headers.get('inference-header-content-length') });
      return response;
    };
    const { outputs } = await createOpenInference({
      baseURL: listening.url,
      maxRetries: 0,
      binary,
      fetch: recording,
    })
      .tensor('echo')
      .run({ inputs, outputs: ['s', 'h', 'b', 'i', 'u'] });
    expect(outputs).toEqual(inputs);
    // Binary both ways when asked, JSON both ways otherwise.
    expect(seen.map(({ sent, answered }) => [sent !== null, answered !== null])).toEqual([[binary, binary]]);
  });
});

describe('OIP v2 client -> @mlkit/server: generate, health, metadata', () => {
  it('generates the text of the model in-process over the generate extension', async () => {
    const input = { prompt: 'The cat', temperature: 0, maxTokens: 8 };
    const expected = await direct.gpt.run(input);
    const actual = await client().textGeneration('tiny-gpt').run(input);
    expect(actual.text).toBe(expected.text);
    expect(actual.finishReason).toBe(expected.finishReason);
  });

  it('streams the same text over generate_stream', async () => {
    const input = { prompt: 'The cat', temperature: 0, maxTokens: 8 };
    const expected = await direct.gpt.run(input);
    let text = '';
    let finish: string | undefined;
    for await (const chunk of client().textGeneration('tiny-gpt').stream(input)) {
      if (chunk.type === 'text-delta') text += chunk.text;
      else if (chunk.type === 'finish') finish = chunk.finishReason;
    }
    expect(text).toBe(expected.text);
    expect(finish).toBe(expected.finishReason);
  });

  it('serves the iris ONNX graph’s real input float_input FP32 [-1, 4] as metadata', async () => {
    const metadata = await client().metadata('iris');
    expect(metadata).toMatchObject({ name: 'iris', versions: ['1'], platform: 'onnxruntime_onnx' });
    expect(metadata.inputs).toEqual([{ name: 'float_input', datatype: 'FP32', shape: [-1, 4] }]);
  });

  it('is live and ready, and the served model is ready', async () => {
    const oip = client();
    expect(await oip.health()).toBe(true);
    expect(await oip.ready()).toBe(true);
    expect(await oip.ready('iris')).toBe(true);
    await oip.waitUntilReady({ modelName: 'iris', timeoutMs: 5000 });
  });

  it('raises NotFoundError (404) for a model the server does not serve', async () => {
    const error = await client()
      .classification('nope')
      .run({ rows: irisRows })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, message: expect.stringContaining('"nope" is not served') });
  });
});
