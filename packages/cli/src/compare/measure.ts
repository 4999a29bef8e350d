import type { Model } from '@mlkit/core';

/** One call's outcome: the output or the error, and how long it took. */
export interface CallResult {
  output?: unknown;
  error?: unknown;
  durationMs: number;
}

/** Every input through `model`, `concurrency` calls at a time, results in input order. */
export async function runEach(
  model: Model,
  inputs: readonly unknown[],
  concurrency: number,
  onDone: () => void,
): Promise<{ results: CallResult[]; elapsedMs: number }> {
  const results: CallResult[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      const started = performance.now();
      try {
        const output = await model.run(inputs[index] as never);
        results[index] = { output, durationMs: performance.now() - started };
      } catch (error) {
        results[index] = { error, durationMs: performance.now() - started };
      }
      onDone();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return { results, elapsedMs: performance.now() - started };
}
