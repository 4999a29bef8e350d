/** Run `work` on every item with at most `concurrency` at once; results in item order; the first failure stops the rest. */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  work: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  if (items.length === 1) return [await work(items[0]!, signal)];
  const stop = new AbortController();
  const linked = AbortSignal.any([signal, stop.signal]);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !linked.aborted) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, linked);
      } catch (error) {
        stop.abort(error);
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, worker);
  // allSettled, not all: every request has ended (none left running) when the call settles.
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw stop.signal.aborted ? stop.signal.reason : (failed as PromiseRejectedResult).reason;
  return results;
}
