import { getEventListeners } from 'node:events';
import { queryObjects, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import { fakeChatModel, fakeClassifier, fakeEmbeddingModel, get, postJson } from './fakes.ts';

// Memory bounds in counts (issue 12 item 5): whatever a request puts in a per-request structure is
// gone once it is answered, and what the server keeps across requests (metrics series) is bounded
// by its routes and models, not by what clients send.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collect garbage, and again after finalizers ran (they free more: undici's drop a Request's abort listener). */
async function collectGarbage(): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Live instances of `type` once garbage is collected. */
async function liveCount(type: abstract new (...args: never[]) => unknown): Promise<number> {
  await collectGarbage();
  return (queryObjects as (c: unknown, o: { format: 'count' }) => number)(type, { format: 'count' });
}

function servedModels() {
  const classifier = fakeClassifier();
  return {
    classifier,
    models: { iris: classifier.model, bert: fakeEmbeddingModel().model, gpt: fakeChatModel().model },
  };
}

/** One round of every kind of exchange: answered, refused, streamed, left mid-stream, given up by the client. */
async function mixedRound(server: ReturnType<typeof createServer>, i: number, signal?: AbortSignal) {
  const post = (path: string, body: unknown) =>
    server.fetch(
      new Request(`http://mlkit.test${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `round-${i}` },
        body: JSON.stringify(body),
        signal,
      }),
    );
  const answers = await Promise.all([
    post('/predict/iris', { data: [[5.1, 3.5, 1.4, 0.2]] }),
    post('/predict/iris', { data: [[6.7, 3.0, 5.2, 2.3]] }),
    post('/v1/embeddings', { model: 'bert', input: ['a b', 'c'] }),
    post('/v1/completions', { model: 'gpt', prompt: 'the cat', max_tokens: 4 }),
    post('/v1/embeddings', { model: `no-such-model-${i}`, input: 'x' }),
    post(`/no/such/route/${i}`, {}),
    post('/predict/iris', { rows: [[1, 2, 3, 4]] }),
  ]);
  expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 404, 404, 400]);
  await Promise.all(answers.map((r) => r.arrayBuffer()));
  // A stream read to its end, and one the client leaves after its first chunk.
  const read = await post('/v1/completions', { model: 'gpt', prompt: 'one two three', stream: true });
  await read.text();
  const left = await post('/v1/completions', { model: 'gpt', prompt: 'four five six', stream: true });
  const reader = left.body!.getReader();
  await reader.read();
  await reader.cancel();
  // A client that gives up before its answer.
  const gone = new AbortController();
  const abandoned = server.fetch(
    new Request('http://mlkit.test/predict/iris', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [[1, 2, 3, 4]] }),
      signal: gone.signal,
    }),
  );
  gone.abort();
  await abandoned.then((r) => r.arrayBuffer()).catch(() => {});
}

/** The samples of `metric` in a Prometheus exposition, as `labels -> value`. */
function samples(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-z_]+)(\{[^}]*\})? (\S+)$/);
    if (match && match[1] === metric) out.set(match[2] ?? '', Number(match[3]));
  }
  return out;
}

describe('memory bounds', () => {
  it('leaves no request queued, running or in flight after 100 rounds of mixed calls', async () => {
    const { models } = servedModels();
    const server = createServer({ models, batching: { windowMs: 1, maxBatch: 8 } });
    for (let i = 0; i < 100; i++) await mixedRound(server, i);
    // Let the left stream's and the abandoned call's scopes end (their models stop on the next tick).
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await (await get(server, '/metrics')).text();
    expect([...samples(text, 'mlkit_queue_depth').values()]).toEqual([0, 0, 0]);
    expect([...samples(text, 'mlkit_running_calls').values()]).toEqual([0, 0, 0]);
    expect(samples(text, 'mlkit_inflight_requests').get('')).toBe(1); // the /metrics request itself
    await server.close();
  });

  it('keeps as many live AbortSignals after 1,500 more requests as after the first 100', async () => {
    const { models, classifier } = servedModels();
    const server = createServer({ models, batching: { windowMs: 1, maxBatch: 8 } });
    // Warm-up: lazily made module state (schemas, timers) exists before the baseline.
    for (let i = 0; i < 10; i++) await mixedRound(server, i);
    classifier.calls.signals.length = 0; // the fake keeps every signal it saw; the server must not
    const baseline = await liveCount(AbortSignal);
    for (let i = 0; i < 150; i++) await mixedRound(server, i);
    classifier.calls.signals.length = 0;
    const after = await liveCount(AbortSignal);
    // Each round opens 10 request scopes (each an AbortSignal.any over the client's signal, the shared
    // shutdown signal and a timeout): 1,500 in all. A leak of even one signal per scope shows.
    expect(after - baseline).toBeLessThan(50);
    await server.close();
  });

  it('leaves no abort listener on a signal the client shares between all its requests', async () => {
    const { models } = servedModels();
    const server = createServer({ models, batching: { windowMs: 1, maxBatch: 8 } });
    const shared = new AbortController();
    for (let i = 0; i < 50; i++) await mixedRound(server, i, shared.signal);
    // Each Request listens on the shared signal until it is collected: none may be kept alive.
    await collectGarbage();
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    await server.close();
  });

  it('adds no metrics series for unknown routes, unknown models, made-up methods or request ids', async () => {
    const { models } = servedModels();
    const server = createServer({ models });
    const seriesOf = async () => {
      const text = await (await get(server, '/metrics')).text();
      return {
        requests: samples(text, 'mlkit_http_requests_total').size,
        errors: samples(text, 'mlkit_http_request_errors_total').size,
        latency: samples(text, 'mlkit_http_request_duration_seconds_count').size,
        lines: text.split('\n').length,
      };
    };
    const clients = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await (await postJson(server, `/predict/model-${i}`, { data: [[1, 2, 3, 4]] })).arrayBuffer();
        await (await postJson(server, '/v1/embeddings', { model: `m-${i}`, input: 'x' })).arrayBuffer();
        await (await get(server, `/scan/${i}/.env`, { 'x-request-id': `id-${i}` })).arrayBuffer();
        const method = `M${i}`; // any token: Bun, Deno and workers hand the fetch handler such methods
        await (await server.fetch(new Request(`http://mlkit.test/predict/iris`, { method }))).arrayBuffer();
        await (await server.fetch(new Request(`http://mlkit.test/x${i}`, { method }))).arrayBuffer();
      }
    };
    await clients(0, 10);
    await seriesOf(); // the first scrape adds the /metrics route's own series
    const first = await seriesOf();
    await clients(10, 500);
    const later = await seriesOf();
    expect(later).toEqual(first);
    await server.close();
  });
});
