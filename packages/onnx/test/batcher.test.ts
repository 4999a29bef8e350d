import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../src/batcher.ts';

function doubler(options: { windowMs?: number; maxBatch?: number; delayMs?: number } = {}) {
  const runs: number[][] = [];
  const batcher = new MicroBatcher<number, number>({
    windowMs: options.windowMs ?? 0,
    maxBatch: options.maxBatch ?? 32,
    async runBatch(items) {
      runs.push([...items]);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      return items.map((n) => n * 2);
    },
  });
  return { batcher, runs };
}

describe('MicroBatcher', () => {
  it('packs concurrent requests into one run and splits the outputs back in order', async () => {
    const { batcher, runs } = doubler();
    const results = await Promise.all([batcher.add([1, 2]), batcher.add([3]), batcher.add([4, 5, 6])]);
    expect(results).toEqual([[2, 4], [6], [8, 10, 12]]);
    expect(runs).toEqual([[1, 2, 3, 4, 5, 6]]);
  });

  it('never puts more than maxBatch items in one run', async () => {
    const { batcher, runs } = doubler({ maxBatch: 4 });
    const results = await Promise.all([batcher.add([1, 2, 3]), batcher.add([4, 5]), batcher.add([6])]);
    expect(results).toEqual([[2, 4, 6], [8, 10], [12]]);
    expect(runs.every((run) => run.length <= 4)).toBe(true);
    expect(runs.flat()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('cuts one request larger than maxBatch into runs of maxBatch', async () => {
    const { batcher, runs } = doubler({ maxBatch: 2 });
    expect(await batcher.add([1, 2, 3, 4, 5])).toEqual([2, 4, 6, 8, 10]);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('waits up to windowMs for company, so requests a little apart share a run', async () => {
    const { batcher, runs } = doubler({ windowMs: 30 });
    const first = batcher.add([1]);
    await new Promise((r) => setTimeout(r, 5));
    const second = batcher.add([2]);
    expect(await Promise.all([first, second])).toEqual([[2], [4]]);
    expect(runs).toEqual([[1, 2]]);
  });

  it('runs requests that arrive during a run together in the next one', async () => {
    const { batcher, runs } = doubler({ delayMs: 20 });
    const first = batcher.add([1]);
    await new Promise((r) => setTimeout(r, 5));
    const later = [batcher.add([2]), batcher.add([3])];
    await Promise.all([first, ...later]);
    expect(runs).toEqual([[1], [2, 3]]);
  });

  it('takes an aborted waiting request out of the batch', async () => {
    const { batcher, runs } = doubler({ windowMs: 20 });
    const controller = new AbortController();
    const kept = batcher.add([1]);
    const dropped = batcher.add([2], controller.signal);
    controller.abort();
    await expect(dropped).rejects.toMatchObject({ code: 'abort' });
    expect(await kept).toEqual([2]);
    expect(runs).toEqual([[1]]);
  });

  it('rejects every request of a failed run with its error', async () => {
    const batcher = new MicroBatcher<number, number>({
      windowMs: 0,
      maxBatch: 8,
      runBatch: async () => {
        throw new Error('run failed');
      },
    });
    const results = await Promise.allSettled([batcher.add([1]), batcher.add([2])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(batcher.runs).toBe(1);
  });
});
