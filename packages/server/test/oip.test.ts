import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import {
  embeddingOf,
  fakeChatModel,
  fakeClassifier,
  fakeEmbeddingModel,
  fakeTensorModel,
  get,
  postJson,
  predictRow,
  predictText,
} from './fakes.ts';

// Requests written as the Open Inference Protocol v2 REST spec (KServe / Triton) writes them.
function setup() {
  const tensorModel = fakeTensorModel();
  const iris = fakeClassifier();
  const server = createServer({
    models: {
      echo: tensorModel.model,
      iris: iris.model,
      bert: fakeEmbeddingModel().model,
      'tiny-gpt': fakeChatModel().model,
    },
  });
  return { server, tensorModel, iris };
}

describe('OIP v2 health and metadata', () => {
  it('answers live and ready with 200', async () => {
    const { server } = setup();
    expect((await get(server, '/v2/health/live')).status).toBe(200);
    const ready = await get(server, '/v2/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
  });

  it('describes the server at GET /v2', async () => {
    const body = await (await get(setup().server, '/v2')).json();
    expect(body).toMatchObject({
      name: 'mlkit',
      version: expect.any(String),
      extensions: ['binary_tensor_data', 'generate'],
    });
  });

  it('describes a tensor model from the metadata it exposes, variable dims as -1', async () => {
    const response = await get(setup().server, '/v2/models/echo');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      name: 'echo',
      versions: ['1'],
      platform: 'mlkit',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [
        { name: 'x', datatype: 'FP32', shape: [-1, 3] },
        { name: 'sum', datatype: 'FP64', shape: [1] },
      ],
    });
  });

  it('describes a classification model by the task’s tensors', async () => {
    const body = await (await get(setup().server, '/v2/models/iris/versions/1')).json();
    expect(body.inputs).toContainEqual({ name: 'input', datatype: 'FP32', shape: [-1, -1] });
    expect(body.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'score', datatype: 'FP64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP64', shape: [-1, -1] },
    ]);
  });

  it('reports model readiness, and 404 with {error} for an unknown model or version', async () => {
    const { server } = setup();
    expect((await get(server, '/v2/models/iris/ready')).status).toBe(200);
    const unknown = await get(server, '/v2/models/nope/ready');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: expect.stringContaining('"nope" is not served') });
    expect((await get(server, '/v2/models/iris/versions/7')).status).toBe(404);
  });
});

describe('OIP v2 inference on a tensor model', () => {
  it('infers with flat data and echoes the request id', async () => {
    const response = await postJson(setup().server, '/v2/models/echo/infer', {
      id: 'req-42',
      inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }],
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ model_name: 'echo', model_version: '1', id: 'req-42' });
    expect(body.outputs).toContainEqual({
      name: 'x',
      datatype: 'FP32',
      shape: [2, 3],
      data: [1, 2, 3, 4, 5, 6],
    });
    expect(body.outputs).toContainEqual({ name: 'sum', datatype: 'FP64', shape: [1], data: [21] });
  });

  it('accepts nested row-major data the same as flat', async () => {
    const response = await postJson(setup().server, '/v2/models/echo/infer', {
      inputs: [
        {
          name: 'x',
          shape: [2, 3],
          datatype: 'FP32',
          data: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        },
      ],
      outputs: [{ name: 'sum' }],
    });
    const body = await response.json();
    expect(body.outputs).toEqual([{ name: 'sum', datatype: 'FP64', shape: [1], data: [21] }]);
    expect(body.id).toEqual(expect.any(String));
  });

  it.each([
    ['BOOL', [true, false, true], [true, false, true], 2],
    ['UINT8', [0, 128, 255], [0, 128, 255], 383],
    ['UINT16', [1, 65535, 2], [1, 65535, 2], 65538],
    ['UINT32', [1, 4294967295, 0], [1, 4294967295, 0], 4294967296],
    ['INT8', [-128, 0, 127], [-128, 0, 127], -1],
    ['INT16', [-32768, 1, 32767], [-32768, 1, 32767], 0],
    ['INT32', [-5, 6, 7], [-5, 6, 7], 8],
    ['FP16', [0.5, -2, 65504], [0.5, -2, 65504], 65502.5],
    ['FP32', [0.25, 1.5, -3], [0.25, 1.5, -3], -1.25],
    ['FP64', [0.1, 0.2, 0.3], [0.1, 0.2, 0.3], 0.1 + 0.2 + 0.3],
  ])('round-trips %s tensors', async (datatype, data, expected, sum) => {
    const response = await postJson(setup().server, '/v2/models/echo/infer', {
      inputs: [{ name: 'v', shape: [3], datatype, data }],
    });
    expect(response.status).toBe(200);
    const { outputs } = await response.json();
    expect(outputs).toContainEqual({ name: 'v', datatype, shape: [3], data: expected });
    expect(outputs.find((o: { name: string }) => o.name === 'sum').data[0]).toBeCloseTo(sum as number, 6);
  });

  it('round-trips INT64 and UINT64 beyond 2^53 as decimal strings', async () => {
    const response = await postJson(setup().server, '/v2/models/echo/infer', {
      inputs: [
        { name: 'i', shape: [3], datatype: 'INT64', data: ['-9223372036854775808', 42, '9007199254740993'] },
        { name: 'u', shape: [2], datatype: 'UINT64', data: ['18446744073709551615', 7] },
      ],
      outputs: [{ name: 'i' }, { name: 'u' }],
    });
    expect(response.status).toBe(200);
    const { outputs } = await response.json();
    expect(outputs[0]).toEqual({
      name: 'i',
      datatype: 'INT64',
      shape: [3],
      data: ['-9223372036854775808', 42, '9007199254740993'],
    });
    expect(outputs[1].data).toEqual(['18446744073709551615', 7]);
  });

  it('round-trips BYTES tensors', async () => {
    const response = await postJson(setup().server, '/v2/models/echo/infer', {
      inputs: [{ name: 's', shape: [2], datatype: 'BYTES', data: ['héllo', 'world'] }],
      outputs: [{ name: 's' }],
    });
    expect((await response.json()).outputs).toEqual([
      { name: 's', datatype: 'BYTES', shape: [2], data: ['héllo', 'world'] },
    ]);
  });

  it.each([
    [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3] }, 'body.inputs[0].data', 'needs 4'],
    [{ name: 'x', shape: [2], datatype: 'UINT8', data: [1, 256] }, 'body.inputs[0].data[1]', '[0, 255]'],
    [{ name: 'x', shape: [1], datatype: 'INT64', data: ['1.5'] }, 'body.inputs[0].data[0]', 'decimal string'],
    [{ name: 'x', shape: [1], datatype: 'BOOL', data: [1] }, 'body.inputs[0].data[0]', 'true or false'],
    [{ name: 'x', shape: [1], datatype: 'BF16', data: [1] }, 'body.inputs[0].datatype', ''],
    [{ name: 'x', shape: [1], datatype: 'FP32' }, 'body.inputs[0].data', 'required'],
  ])('answers 400 {error} naming the path for a bad tensor %#', async (tensor, path, detail) => {
    const response = await postJson(setup().server, '/v2/models/echo/infer', { inputs: [tensor] });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toContain(path);
    expect(body.error).toContain(detail);
  });

  it('answers 400 for an output the model does not have', async () => {
    const response = await postJson(setup().server, '/v2/models/echo/infer', {
      inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }],
      outputs: [{ name: 'nope' }],
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain('no output "nope"');
  });
});

describe('OIP v2 inference on other tasks', () => {
  it('classifies FP32 [N, F] rows into label, score and probabilities', async () => {
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ];
    const response = await postJson(setup().server, '/v2/models/iris/infer', {
      inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: rows.flat() }],
    });
    expect(response.status).toBe(200);
    const [label, score, probabilities] = (await response.json()).outputs;
    const expected = rows.map((row) => predictRow(Array.from(Float32Array.from(row))));
    expect(label).toEqual({
      name: 'label',
      datatype: 'BYTES',
      shape: [2],
      data: expected.map((p) => p.label),
    });
    expect(score.data).toEqual(expected.map((p) => p.score));
    expect(probabilities.shape).toEqual([2, 3]);
    expect(probabilities.parameters.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(probabilities.data.slice(0, 3)).toEqual(Object.values(expected[0]!.scores));
  });

  it('classifies BYTES texts and accepts one FP64 row of shape [F]', async () => {
    const { server } = setup();
    const texts = await postJson(server, '/v2/models/iris/infer', {
      inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['great', 'awful'] }],
      outputs: [{ name: 'label' }],
    });
    expect((await texts.json()).outputs).toEqual([
      {
        name: 'label',
        datatype: 'BYTES',
        shape: [2],
        data: [predictText('great').label, predictText('awful').label],
      },
    ]);
    const row = await postJson(server, '/v2/models/iris/infer', {
      inputs: [{ name: 'input', shape: [4], datatype: 'FP64', data: [5.1, 3.5, 1.4, 0.2] }],
      outputs: [{ name: 'label' }],
    });
    expect((await row.json()).outputs[0].data).toEqual([predictRow([5.1, 3.5, 1.4, 0.2]).label]);
  });

  it('embeds BYTES texts into an FP32 [N, D] tensor', async () => {
    const response = await postJson(setup().server, '/v2/models/bert/infer', {
      inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hello'] }],
    });
    const { outputs } = await response.json();
    expect(outputs[0]).toMatchObject({ name: 'embedding', datatype: 'FP32', shape: [1, 8] });
    expect(Float32Array.from(outputs[0].data)).toEqual(embeddingOf('hello'));
  });

  it('generates text from text_input with sampling parameters', async () => {
    const response = await postJson(setup().server, '/v2/models/tiny-gpt/infer', {
      parameters: { max_tokens: 2 },
      inputs: [{ name: 'text_input', shape: [1], datatype: 'BYTES', data: ['hi there'] }],
    });
    expect((await response.json()).outputs).toEqual([
      { name: 'text_output', datatype: 'BYTES', shape: [1], data: ['You said:'] },
    ]);
  });
});
