// Shared by the tests that point real client libraries (AI SDK, LangChain) at @mlkit/server.
import { loadModel } from '@mlkit/onnx';
import { expect } from 'vitest';
import { fixturePath } from '../../../test/fixtures/paths.ts';

/** Each fixture loaded twice: one copy for the server, one called directly, so nothing is shared. */
export async function loadFixtures() {
  const [gpt, bert] = await Promise.all([
    loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }),
    loadModel(fixturePath('tiny-bert'), { task: 'embedding' }),
  ]);
  return { gpt, bert };
}

/** Vectors of the same lengths whose elements differ by at most `tolerance`. */
export function expectVectorsClose(
  actual: ArrayLike<number>[],
  expected: ArrayLike<number>[],
  tolerance = 1e-6,
) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((vector, row) => {
    expect(vector).toHaveLength(expected[row]!.length);
    let worst = 0;
    for (let i = 0; i < vector.length; i++)
      worst = Math.max(worst, Math.abs(vector[i]! - expected[row]![i]!));
    expect(worst).toBeLessThanOrEqual(tolerance);
  });
}
