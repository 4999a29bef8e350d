/**
 * Bodies from TF Serving's REST API document (tensorflow/serving, tensorflow_serving/g3doc/api_rest.md,
 * https://www.tensorflow.org/tfx/serving/api_rest): the half_plus_three example's status, predict
 * and 404 answers; the metadata body is GetModelMetadataResponse's JSON for that model.
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createModel,
  createTFServing,
  InvalidInputError,
  NotFoundError,
  ResponseValidationError,
} from '../../../src/index.ts';
import { mockServer, recorder } from '../openai-compatible/support.ts';

const BASE = 'http://tfserving.test:8501';
const server = mockServer();
const tfs = () => createTFServing({ baseURL: BASE, maxRetries: 0 });

function answer(method: 'get' | 'post', path: string, body: unknown, init?: ResponseInit) {
  const log = recorder();
  server.use(
    http[method](`${BASE}${path}`, async ({ request }) => {
      await log.record(request);
      return HttpResponse.json(body as object, init);
    }),
  );
  return log;
}

const halfPlusThreeMetadata = {
  model_spec: { name: 'half_plus_three', signature_name: '', version: '123' },
  metadata: {
    signature_def: {
      signature_def: {
        serving_default: {
          inputs: {
            x: {
              dtype: 'DT_FLOAT',
              tensor_shape: { dim: [{ size: '-1', name: '' }], unknown_rank: false },
              name: 'x:0',
            },
          },
          outputs: {
            y: {
              dtype: 'DT_FLOAT',
              tensor_shape: { dim: [{ size: '-1', name: '' }], unknown_rank: false },
              name: 'y:0',
            },
          },
          method_name: 'tensorflow/serving/predict',
        },
      },
    },
  },
};

describe('TF Serving tensor model', () => {
  it("sends the docs' half_plus_three predict in row form and reads its predictions", async () => {
    const log = answer('post', '/v1/models/half_plus_three:predict', { predictions: [3.5, 4.0, 5.5] });
    const model = tfs().tensor('half_plus_three', { outputName: 'y' });
    const { outputs } = await model.run({
      inputs: { x: { dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 5]) } },
    });
    expect(log.requests[0]!.body).toEqual({ instances: [1.0, 2.0, 5.0] });
    expect(outputs).toEqual({ y: { dtype: 'float32', shape: [3], data: Float32Array.from([3.5, 4, 5.5]) } });
  });

  it('sends columnar form as named inputs and reads named outputs', async () => {
    const log = answer('post', '/v1/models/m:predict', { outputs: { y: [[1, 2]], z: ['a'] } });
    const { outputs } = await tfs()
      .tensor('m', { format: 'columnar', signatureName: 'serving_default' })
      .run({ inputs: { x: { dtype: 'float32', shape: [1, 2], data: Float32Array.from([0, 1]) } } });
    expect(log.requests[0]!.body).toEqual({ signature_name: 'serving_default', inputs: { x: [[0, 1]] } });
    expect(outputs.y).toEqual({ dtype: 'float32', shape: [1, 2], data: Float32Array.from([1, 2]) });
    expect(outputs.z).toEqual({ dtype: 'string', shape: [1], data: ['a'] });
  });

  it('calls one version or one label when asked', async () => {
    const version = answer('post', '/v1/models/m/versions/2:predict', { predictions: [1] });
    await tfs()
      .tensor('m', { version: 2 })
      .run({ inputs: { x: { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } } });
    expect(version.requests).toHaveLength(1);
    const label = answer('post', '/v1/models/m/labels/canary:predict', { predictions: [1] });
    await tfs()
      .tensor('m', { versionLabel: 'canary' })
      .run({ inputs: { x: { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } } });
    expect(label.requests).toHaveLength(1);
  });

  it("reads output dtypes and the lone output's name from the metadata, once", async () => {
    const metadata = answer('get', '/v1/models/half_plus_three/metadata', halfPlusThreeMetadata);
    answer('post', '/v1/models/half_plus_three:predict', { predictions: [3.5] });
    const model = tfs().tensor('half_plus_three', { dtypes: 'metadata' });
    const input = { inputs: { x: { dtype: 'float32' as const, shape: [1], data: Float32Array.from([1]) } } };
    await model.run(input);
    const { outputs } = await model.run(input);
    expect(Object.keys(outputs)).toEqual(['y']);
    expect(metadata.requests).toHaveLength(1);
  });

  it('returns only the outputs asked for, and refuses a name the model lacks', async () => {
    answer('post', '/v1/models/m:predict', { outputs: { y: [1], z: [2] } });
    const model = tfs().tensor('m', { format: 'columnar' });
    const x = { dtype: 'float32' as const, shape: [1], data: Float32Array.from([1]) };
    expect(Object.keys((await model.run({ inputs: { x }, outputs: ['z'] })).outputs)).toEqual(['z']);
    await expect(model.run({ inputs: { x }, outputs: ['w'] })).rejects.toThrow(InvalidInputError);
  });

  it("reads the docs' 404 {error} body as NotFoundError with its message", async () => {
    answer(
      'post',
      '/v1/models/half:predict',
      { error: 'Servable not found for request: Latest(half)' },
      { status: 404 },
    );
    const error = await tfs()
      .tensor('half')
      .run({ inputs: { x: { dtype: 'float32', shape: [2], data: Float32Array.from([1, 5]) } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain('Servable not found for request: Latest(half)');
  });

  it('reads a 400 {error} body as InvalidInputError', async () => {
    answer(
      'post',
      '/v1/models/m:predict',
      { error: 'JSON Value: 1 Type: Number is not of expected type: string' },
      { status: 400 },
    );
    const error = await tfs()
      .tensor('m')
      .run({ inputs: { x: { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
  });

  it('refuses version and versionLabel together before any request', () => {
    expect(() => tfs().tensor('m', { version: 1, versionLabel: 'stable' })).toThrow(InvalidInputError);
  });
});

describe('TF Serving classification model', () => {
  it('sends rows as instances and names the best class through labels', async () => {
    const log = answer('post', '/v1/models/iris:predict', {
      predictions: [
        [0.1, 0.7, 0.2],
        [0.8, 0.15, 0.05],
      ],
    });
    const model = tfs().classification('iris', { labels: ['setosa', 'versicolor', 'virginica'] });
    const rows = [
      [6.0, 2.2, 4.0, 1.0],
      [5.1, 3.5, 1.4, 0.2],
    ];
    const { predictions } = await model.run({ rows });
    expect(log.requests[0]!.body).toEqual({ instances: rows });
    expect(predictions.map((p) => p.label)).toEqual(['versicolor', 'setosa']);
    expect(predictions[0]!.scores).toEqual({ setosa: 0.1, versicolor: 0.7, virginica: 0.2 });
  });

  it('refuses an answer with fewer predictions than rows', async () => {
    answer('post', '/v1/models/iris:predict', { predictions: [[0.5, 0.5]] });
    await expect(
      tfs()
        .classification('iris')
        .run({ rows: [[1], [2]] }),
    ).rejects.toThrow(ResponseValidationError);
  });
});

describe('TF Serving status and metadata', () => {
  it("reads the docs' model status", async () => {
    answer('get', '/v1/models/half_plus_three', {
      model_version_status: [
        { version: '123', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
      ],
    });
    expect(await tfs().status('half_plus_three')).toEqual([
      { version: '123', state: 'AVAILABLE', errorCode: 'OK' },
    ]);
  });

  it('reads the metadata as typed, shaped inputs and outputs per signature', async () => {
    answer('get', '/v1/models/half_plus_three/versions/123/metadata', halfPlusThreeMetadata);
    const metadata = await tfs().metadata('half_plus_three', { version: 123 });
    expect(metadata.version).toBe('123');
    expect(metadata.signatures.serving_default!.inputs.x).toEqual({
      tfDtype: 'DT_FLOAT',
      dtype: 'float32',
      shape: [-1],
    });
  });
});

describe('tfserving: scheme', () => {
  it('createModel("tfserving:<url>/<model>/versions/<v>") predicts on that version', async () => {
    const log = answer('post', '/v1/models/half_plus_three/versions/123:predict', { predictions: [3.5] });
    const model = await createModel(`tfserving:${BASE}/half_plus_three/versions/123`, {
      task: 'tensor',
      maxRetries: 0,
    });
    expect(model.id).toBe('tfserving:half_plus_three/versions/123');
    await model.run({ inputs: { x: { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } } });
    expect(log.requests).toHaveLength(1);
  });

  it('createModel("tfserving:<url>/v1/models/<model>/labels/<l>") classifies with labels', async () => {
    answer('post', '/v1/models/iris/labels/stable:predict', { predictions: [[0.2, 0.8]] });
    const model = await createModel(`tfserving:${BASE}/v1/models/iris/labels/stable`, {
      task: 'classification',
      labels: ['no', 'yes'],
      maxRetries: 0,
    });
    expect((await model.run({ rows: [[1, 2]] })).predictions[0]!.label).toBe('yes');
  });

  it('refuses a spec without a model name', async () => {
    await expect(createModel(`tfserving:${BASE}/`)).rejects.toThrow(/names no model/);
  });
});
