import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';
import { loadModel } from '../../onnx/src/index.node.ts';

// Bounded load on 127.0.0.1: 64 connections for 10 s against /predict on the real iris ONNX
// classifier, with the default limits (concurrency 4, queue 64) and batching on. Reports totals;
// asserts no failures and only 2xx answers, and that every answer is the right label.
describe('load', () => {
  let listening: Listening;
  let runs = () => 0;

  beforeAll(async () => {
    ensureFixtures();
    const iris = await loadModel(fixturePath('iris-classifier'), { task: 'classification' });
    runs = () => iris.describe().runs;
    listening = await listen(createServer({ models: { iris } }), { port: 0, host: '127.0.0.1' });
  });
  afterAll(() => listening.close({ graceMs: 2000 }));

  it('serves 64 connections for 10 s with no errors and only 2xx answers', async () => {
    let wrong = 0;
    const result = await autocannon({
      url: `${listening.url}/predict/iris`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [5.1, 3.5, 1.4, 0.2] }),
      connections: 64,
      duration: 10,
      setupClient(client) {
        client.on('body', (body: Buffer) => {
          if (JSON.parse(body.toString()).prediction !== 'setosa') wrong++;
        });
      },
    });
    console.log(
      `load: ${result.requests.total} requests in ${result.duration} s, ${result.requests.average} req/s, ` +
        `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.errors}, timeouts ${result.timeouts}, ` +
        `non-2xx ${result.non2xx}, wrong answers ${wrong}; onnxruntime runs ${runs()}`,
    );
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result['2xx']).toBe(result.requests.total);
    expect(result.requests.total).toBeGreaterThan(0);
    expect(wrong).toBe(0);
    // Dynamic batching: fewer session runs than requests under 64 concurrent connections.
    expect(runs()).toBeGreaterThan(0);
    expect(runs()).toBeLessThan(result.requests.total);
  }, 30_000);
});
