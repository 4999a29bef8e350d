import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClassifier } from './fakes.ts';

// Bounded load on 127.0.0.1: 64 connections for 5 s against /predict on a fake classifier, with the
// default limits (concurrency 4, queue 64) and batching on. Reports totals; asserts no failures.
describe('load', () => {
  const iris = fakeClassifier();
  let listening: Listening;

  beforeAll(async () => {
    listening = await listen(createServer({ models: { iris: iris.model } }), { port: 0, host: '127.0.0.1' });
  });
  afterAll(() => listening.close({ graceMs: 2000 }));

  it('serves 64 connections for 5 s with no errors and only 2xx answers', async () => {
    const result = await autocannon({
      url: `${listening.url}/predict/iris`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [5.1, 3.5, 1.4, 0.2] }),
      connections: 64,
      duration: 5,
    });
    console.log(
      `load: ${result.requests.total} requests in ${result.duration} s, ${result.requests.average} req/s, ` +
        `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.errors}, timeouts ${result.timeouts}, ` +
        `non-2xx ${result.non2xx}; model runs ${iris.calls.run} for ${iris.calls.items} rows`,
    );
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result['2xx']).toBe(result.requests.total);
    expect(result.requests.total).toBeGreaterThan(0);
    expect(iris.calls.items).toBeGreaterThanOrEqual(result.requests.total);
  });
});
