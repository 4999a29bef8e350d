import { createServer } from '@mlkit/server';
import { describe, expect, it, vi } from 'vitest';
import { fakeClassifier, fakeEmbeddingModel, gate, postJson } from './fakes.ts';

const rows = Array.from({ length: 12 }, (_, i) => [i * 0.5, 3 - i * 0.2, 1 + i * 0.3, i % 3]);

async function predictAll(server: ReturnType<typeof createServer>, bodies: unknown[]) {
  const responses = await Promise.all(bodies.map((body) => postJson(server, '/predict/iris', body)));
  expect(responses.map((r) => r.status)).toEqual(bodies.map(() => 200));
  return Promise.all(responses.map((r) => r.json()));
}

describe('dynamic batching', () => {
  it('merges concurrent requests into fewer model runs with the same answers as unbatched', async () => {
    const batched = fakeClassifier();
    const unbatched = fakeClassifier();
    const batches: number[] = [];
    const server = createServer({
      models: { iris: batched.model },
      batching: { windowMs: 20, maxBatch: 64 },
      onEvent: (event) => {
        if (event.type === 'batch') batches.push(event.requests);
      },
    });
    const reference = createServer({ models: { iris: unbatched.model }, batching: false });
    const bodies = [
      ...rows.map((row) => ({ data: row })),
      { data: rows.slice(0, 3) },
      { text: ['good', 'bad'] },
    ];

    const answers = await predictAll(server, bodies);
    const expected = await predictAll(reference, bodies);

    expect(answers).toEqual(expected);
    expect(unbatched.calls.run).toBe(bodies.length);
    // Texts and rows never share a run; everything else may.
    expect(batched.calls.run).toBeLessThan(bodies.length);
    expect(batched.calls.run).toBeGreaterThanOrEqual(2);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(bodies.length);
  });

  it('keeps a batch open while it waits for a slot, so load forms larger batches', async () => {
    const open = gate();
    const iris = fakeClassifier({ gate: open.wait });
    const server = createServer({
      models: { iris: iris.model },
      limits: { maxConcurrency: 1 },
      batching: { windowMs: 0, maxBatch: 32 },
    });
    const first = postJson(server, '/predict/iris', { data: rows[0] });
    await vi.waitFor(() => expect(iris.calls.run).toBe(1));
    const rest = rows.slice(1).map((row) => postJson(server, '/predict/iris', { data: row }));
    open.open();
    await Promise.all([first, ...rest]);
    expect(iris.calls.batchSizes).toEqual([1, rows.length - 1]);
  });

  it('splits at maxBatch items', async () => {
    const iris = fakeClassifier();
    const server = createServer({ models: { iris: iris.model }, batching: { windowMs: 20, maxBatch: 5 } });
    await predictAll(
      server,
      rows.map((row) => ({ data: row })),
    );
    expect(Math.max(...iris.calls.batchSizes)).toBeLessThanOrEqual(5);
    expect(iris.calls.batchSizes.reduce((a, b) => a + b, 0)).toBe(rows.length);
  });

  it('does not fail the neighbours of a request the model rejects', async () => {
    const iris = fakeClassifier({ rejectNegative: true });
    const server = createServer({ models: { iris: iris.model }, batching: { windowMs: 20, maxBatch: 32 } });
    const responses = await Promise.all([
      postJson(server, '/predict/iris', { data: [1, 2, 3, 4] }),
      postJson(server, '/predict/iris', { data: [1, -2, 3, 4] }),
      postJson(server, '/predict/iris', { data: [4, 3, 2, 1] }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 400, 200]);
    expect((await responses[1]!.json()).error).toContain('>= 0');
  });

  it('lets one caller leave a batch without cancelling the others', async () => {
    const open = gate();
    const iris = fakeClassifier({ gate: open.wait });
    const server = createServer({ models: { iris: iris.model }, batching: { windowMs: 10, maxBatch: 32 } });
    const leaving = new AbortController();
    const request = (signal?: AbortSignal) =>
      server.fetch(
        new Request('http://mlkit.test/predict/iris', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ data: [1, 2, 3, 4] }),
          ...(signal && { signal }),
        }),
      );
    const staying = request();
    const left = request(leaving.signal);
    await vi.waitFor(() => expect(iris.calls.run).toBe(1));
    leaving.abort();
    expect((await left).status).toBe(499);
    expect(iris.calls.signals[0]!.aborted).toBe(false);
    open.open();
    expect((await staying).status).toBe(200);
  });

  it('batches embedding requests that ask for the same dimensions and returns each its own vectors', async () => {
    const bert = fakeEmbeddingModel();
    const server = createServer({ models: { bert: bert.model }, batching: { windowMs: 100, maxBatch: 64 } });
    const inputs = [['a', 'b'], ['c'], ['d', 'e', 'f']];
    const responses = await Promise.all(
      inputs.map((input) =>
        postJson(server, '/v1/embeddings', { model: 'bert', input, encoding_format: 'float' }),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.json()));
    for (const [i, input] of inputs.entries()) {
      const direct = await bert.model.run({ texts: input });
      expect(bodies[i].data.map((d: { embedding: number[] }) => Float32Array.from(d.embedding))).toEqual(
        direct.embeddings,
      );
    }
    expect(bert.calls.run).toBe(1 + inputs.length); // one batched run for the server, one per direct call
  });

  it('is off for models that do not batch', async () => {
    const iris = fakeClassifier({ batching: false });
    const server = createServer({ models: { iris: iris.model }, batching: { windowMs: 20, maxBatch: 64 } });
    await predictAll(
      server,
      rows.slice(0, 4).map((row) => ({ data: row })),
    );
    expect(iris.calls.run).toBe(4);
  });
});
