import {
  type ClassificationTask,
  createModel,
  createPredict,
  InvalidInputError,
  type Model,
} from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';

const irisRows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.0, 2.2, 4.0, 1.0],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 5.1, 1.8],
];

let listening: Listening;
let direct: Model<ClassificationTask>;

beforeAll(async () => {
  ensureFixtures();
  const [served, own] = await Promise.all([
    loadModel(fixturePath('iris-classifier'), { task: 'classification' }),
    loadModel(fixturePath('iris-classifier'), { task: 'classification' }),
  ]);
  direct = own;
  listening = await listen(createServer({ models: { iris: served } }), { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await listening?.close({ graceMs: 1000 });
  await direct?.dispose();
});

describe('the predict client against @mlkit/server /predict serving the iris ONNX model', () => {
  it('gives the predictions of calling the model directly, batched', async () => {
    const expected = await direct.run({ rows: irisRows });
    const model = await createModel(`predict:${listening.url}/predict/iris`, { task: 'classification' });
    expect((await model.run({ rows: irisRows })).predictions).toEqual(expected.predictions);
  });

  it('gives the same predictions with one request per row', async () => {
    const expected = await direct.run({ rows: irisRows });
    const model = createPredict({ url: `${listening.url}/predict/iris`, batch: false, concurrency: 2 });
    expect((await model.run({ rows: irisRows })).predictions).toEqual(expected.predictions);
  });

  it("reads the server's 400 as InvalidInputError with the server's issue paths", async () => {
    const model = createPredict({
      url: `${listening.url}/predict/iris`,
      maxRetries: 0,
      request: () => ({ data: [[1, 'x']] }),
    });
    const error = await model.run({ rows: [[1, 2, 3, 4]] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues[0]!.path).toMatch(/^body\.data\[0\]/);
  });
});
