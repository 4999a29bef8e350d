// Concurrent /v1/embeddings requests that ask for different `dimensions` each get vectors of their
// own length, equal to what the model returns for them alone, with the server's batching on.
import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import { fakeEmbeddingModel, postJson } from './fakes.ts';

const requests = [
  { texts: ['a b', 'c'], dimensions: 4 },
  { texts: ['d e f'], dimensions: 16 },
  { texts: ['g'] }, // the model's default (8)
];

describe('embedding dimensions under server batching', () => {
  it('gives each concurrent request vectors of its own dimensions, equal to its unbatched result', async () => {
    const bert = fakeEmbeddingModel();
    const server = createServer({ models: { bert: bert.model }, batching: { windowMs: 50, maxBatch: 64 } });
    const responses = await Promise.all(
      requests.map((input) =>
        postJson(server, '/v1/embeddings', {
          model: 'bert',
          input: input.texts,
          encoding_format: 'float',
          ...(input.dimensions && { dimensions: input.dimensions }),
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(requests.map(() => 200));
    const bodies = await Promise.all(responses.map((response) => response.json()));
    for (const [i, input] of requests.entries()) {
      const direct = await bert.model.run(input);
      const vectors = bodies[i].data.map((item: { embedding: number[] }) =>
        Float32Array.from(item.embedding),
      );
      expect(vectors.map((vector: Float32Array) => vector.length)).toEqual(
        input.texts.map(() => input.dimensions ?? 8),
      );
      expect(vectors).toEqual(direct.embeddings);
    }
  });
});
