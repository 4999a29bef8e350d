// The promise, checked against the servers teams really run: ONE function classifies iris rows
// against Seldon MLServer, KServe's model server, a hand-written FastAPI /predict server and
// @mlkit/server's OIP v2 and /predict routes — only the model string changes. All on 127.0.0.1.
import { createModel, createOpenInference, NotFoundError, ServerError } from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../fixtures/paths.ts';
import {
  IRIS_LABELS,
  type Peer,
  requireVenv,
  startFastAPIPredict,
  startKServe,
  startMLServer,
  tempDir,
  trainIris,
  venvDescribe,
  venvTitle,
} from './peers.ts';

// One clear case of each class, on which the scikit-learn model and the ONNX fixture agree
// (iris rows 0, 50 and 100: both models give them the true class, with probability > 0.85).
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.3, 3.3, 6.0, 2.5],
];
const EXPECTED = ['setosa', 'versicolor', 'virginica'];

/** The code a user writes once: the model string is configuration (`binary`: the OIP binary extension). */
async function classifyIris(modelString: string, options: { binary?: boolean; maxRetries?: number } = {}) {
  const model = await createModel(modelString, {
    task: 'classification',
    labels: [...IRIS_LABELS],
    ...options,
  });
  const { predictions } = await model.run({ rows: ROWS });
  return predictions;
}

const labelsOf = (predictions: { label: string }[]) => predictions.map((p) => p.label);

venvDescribe(venvTitle('one classifyIris(modelString) against every iris server'), () => {
  const peers: Peer[] = [];
  let ours: Listening | undefined;
  let repository: Awaited<ReturnType<typeof tempDir>> | undefined;
  let urls: { mlserver: string; kserve: string; fastapi: string; ours: string };

  beforeAll(async () => {
    requireVenv();
    ensureFixtures();
    repository = await tempDir('mlkit-iris-peers-');
    await trainIris(repository.path);
    const started = await Promise.allSettled([
      startMLServer(repository.path),
      startKServe(`${repository.path}/iris`),
      startFastAPIPredict(),
    ]);
    for (const result of started) if (result.status === 'fulfilled') peers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const iris = await loadModel(fixturePath('iris-classifier'), { task: 'classification' });
    ours = await listen(createServer({ models: { iris } }), { port: 0, host: '127.0.0.1' });
    const [mlserver, kserve, fastapi] = peers.map((peer) => peer.url) as [string, string, string];
    urls = { mlserver, kserve, fastapi, ours: ours.url };
  }, 180_000);

  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.stop()));
    await ours?.close({ graceMs: 1000, drainDelayMs: 0 }); // probed readiness; no balancer to wait for
    await repository?.remove();
  }, 30_000);

  it('classifies the rows on MLServer (mlserver-sklearn predict_proba) over oip:', async () => {
    expect(labelsOf(await classifyIris(`oip:${urls.mlserver}/iris`))).toEqual(EXPECTED);
  });

  it("names MLServer's class indices (mlserver-sklearn's default predict output) with labels", async () => {
    const predictions = await classifyIris(`oip:${urls.mlserver}/iris-classes`);
    expect(labelsOf(predictions)).toEqual(EXPECTED);
  });

  it("classifies the rows on KServe's model server over oip:", async () => {
    expect(labelsOf(await classifyIris(`oip:${urls.kserve}/iris`))).toEqual(EXPECTED);
  });

  it("classifies the rows on KServe's model server with the binary tensor extension both ways", async () => {
    const predictions = await classifyIris(`oip:${urls.kserve}/iris`, { binary: true });
    expect(labelsOf(predictions)).toEqual(EXPECTED);
  });

  it('fails with a ServerError on MLServer for a binary request (its REST API reads JSON only)', async () => {
    // MLServer 1.7.1 answers 500: its validation-error handler cannot JSON-encode the binary body.
    const call = classifyIris(`oip:${urls.mlserver}/iris`, { binary: true, maxRetries: 0 });
    await expect(call).rejects.toBeInstanceOf(ServerError);
    await expect(call).rejects.toMatchObject({ status: 500 });
  });

  it('classifies the rows on the FastAPI + uvicorn /predict server over predict:', async () => {
    expect(labelsOf(await classifyIris(`predict:${urls.fastapi}/predict/iris`))).toEqual(EXPECTED);
  });

  it("classifies the rows on @mlkit/server's OIP v2 route over oip:", async () => {
    expect(labelsOf(await classifyIris(`oip:${urls.ours}/iris`))).toEqual(EXPECTED);
  });

  it("classifies the rows on @mlkit/server's OIP v2 route with the binary tensor extension", async () => {
    const predictions = await classifyIris(`oip:${urls.ours}/iris`, { binary: true });
    expect(labelsOf(predictions)).toEqual(EXPECTED);
  });

  it("classifies the rows on @mlkit/server's /predict route over predict:", async () => {
    expect(labelsOf(await classifyIris(`predict:${urls.ours}/predict/iris`))).toEqual(EXPECTED);
  });

  it('gets the same probabilities of the same scikit-learn model from MLServer, KServe and FastAPI', async () => {
    const [mlserver, kserve, fastapi] = await Promise.all([
      classifyIris(`oip:${urls.mlserver}/iris`),
      classifyIris(`oip:${urls.kserve}/iris`),
      classifyIris(`predict:${urls.fastapi}/predict/iris`),
    ]);
    for (const [i, prediction] of mlserver.entries()) {
      expect(Object.keys(prediction.scores)).toEqual([...IRIS_LABELS]);
      expect(kserve[i]!.scores).toEqual(prediction.scores);
      expect(fastapi[i]!.score).toBeCloseTo(prediction.score, 6);
    }
  });
  it.each(['mlserver', 'kserve'] as const)(
    'waits until %s says iris is ready, and reads its metadata',
    async (server) => {
      const oip = createOpenInference({ baseURL: urls[server] });
      await oip.waitUntilReady({ modelName: 'iris', timeoutMs: 10_000 });
      expect(await oip.health()).toBe(true);
      expect(await oip.ready('iris')).toBe(true);
      const { inputs, outputs } = await oip.metadata('iris');
      expect(inputs).toEqual([{ name: 'input-0', datatype: 'FP32', shape: [-1, 4] }]);
      expect(outputs).toEqual([{ name: 'predict_proba', datatype: 'FP64', shape: [-1, 3] }]);
    },
  );

  it.each(['mlserver', 'kserve'] as const)('says a model %s does not serve is not ready', async (server) => {
    expect(await createOpenInference({ baseURL: urls[server] }).ready('no-such-model')).toBe(false);
  });

  it.each(['mlserver', 'kserve'] as const)(
    'fails with NotFoundError for a model %s does not serve',
    async (server) => {
      await expect(classifyIris(`oip:${urls[server]}/no-such-model`)).rejects.toBeInstanceOf(NotFoundError);
    },
  );
});
