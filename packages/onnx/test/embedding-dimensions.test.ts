// Concurrent embedding calls that ask for different `dimensions` may share one micro-batched run,
// but each gets vectors of its own length, equal to what it gets alone.
import type { EmbeddingTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnnxModel } from '../src/index.node.ts';
import { fixture, loadInferred, maxAbsDiff } from './support.ts';

const requests = [
  { texts: ['hello world', 'I love this movie'], dimensions: 8 },
  { texts: ['The cat sat on the mat.'], dimensions: 16 },
  { texts: ['a third caller'] }, // the model's own 32
];

let batched: OnnxModel<EmbeddingTask>;
let alone: OnnxModel<EmbeddingTask>;
beforeAll(async () => {
  // windowMs 20: the calls below, made in one tick, surely share a run.
  batched = await loadInferred('embedding', fixture('tiny-bert'), {
    batching: { windowMs: 20, maxBatch: 32 },
  });
  alone = await loadInferred('embedding', fixture('tiny-bert'), { batching: false });
});
afterAll(() => Promise.all([batched.dispose(), alone.dispose()]));

describe('embedding dimensions under micro-batching', () => {
  it('gives each concurrent call vectors of its own dimensions, equal to its unbatched result', async () => {
    const together = await Promise.all(requests.map((input) => batched.run(input)));
    for (const [i, input] of requests.entries()) {
      const single = await alone.run(input);
      const expected = input.dimensions ?? 32;
      expect(together[i]!.dimensions).toBe(expected);
      expect(together[i]!.embeddings.map((vector) => vector.length)).toEqual(input.texts.map(() => expected));
      for (const [j, vector] of together[i]!.embeddings.entries()) {
        expect(maxAbsDiff(vector, single.embeddings[j]!)).toBeLessThan(1e-5);
      }
    }
  });
});
