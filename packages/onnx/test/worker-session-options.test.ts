// The options a session in a worker thread opens with: intra-op threads that leave the main thread a
// core and no spinning, unless the caller's options say otherwise. Checked on the options object built,
// and on Linux by counting the threads onnxruntime starts for a worker session.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModel } from '../src/index.node.ts';
import type { OrtSessionOptions } from '../src/ort.ts';
import { workerSessionOptions } from '../src/worker/worker-session.ts';
import { fixture } from './support.ts';

const spinningOf = (options: OrtSessionOptions) =>
  (options.extra as { session: { intra_op: { allow_spinning: string } } }).session.intra_op.allow_spinning;

describe('workerSessionOptions', () => {
  it('leaves the main thread a core: cores - 1 intra-op threads, at least 1', () => {
    expect(workerSessionOptions({}, 16).intraOpNumThreads).toBe(15);
    expect(workerSessionOptions({}, 2).intraOpNumThreads).toBe(1);
    expect(workerSessionOptions({}, 1).intraOpNumThreads).toBe(1);
    expect(workerSessionOptions({}).intraOpNumThreads).toBe(Math.max(1, availableParallelism() - 1));
  });

  it('turns intra-op spinning off', () => {
    expect(spinningOf(workerSessionOptions({}, 8))).toBe('0');
  });

  it('keeps explicit threads, an explicit spinning setting and the other options', () => {
    const options = workerSessionOptions(
      {
        intraOpNumThreads: 4,
        executionProviders: ['cpu'],
        extra: {
          session: { intra_op: { allow_spinning: '1' }, set_denormal_as_zero: '1' },
          optimization: { enable_gelu_approximation: '1' },
        },
      },
      16,
    );
    expect(options).toEqual({
      intraOpNumThreads: 4,
      executionProviders: ['cpu'],
      extra: {
        session: { intra_op: { allow_spinning: '1' }, set_denormal_as_zero: '1' },
        optimization: { enable_gelu_approximation: '1' },
      },
    });
  });
});

/**
 * The threads of this process that Linux names WorkerThread: Node's worker threads and the threads they
 * start (onnxruntime's intra-op pool inherits the name), not libuv's or V8's, which start when they like.
 */
const workerThreads = () =>
  readdirSync('/proc/self/task').filter((task) => {
    try {
      return readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() === 'WorkerThread';
    } catch {
      return false; // the thread ended while it was listed
    }
  }).length;

const models: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

/**
 * The worker-thread count once it has stopped falling: a terminated worker's threads end a little after
 * dispose() returns, and one counted while it ends would make the next model seem to start one fewer.
 */
async function settledWorkerThreads(): Promise<number> {
  let last = workerThreads();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = workerThreads();
    if (now === last) return now;
    last = now;
  }
}

/** Worker threads this process gains while an iris model with `options` is loaded in a worker and has run once. */
async function threadsOfWorkerModel(options: { threads?: number }): Promise<number> {
  const before = await settledWorkerThreads();
  const model = await loadModel(fixture('iris-classifier'), {
    task: 'classification',
    worker: true,
    ...options,
  });
  models.push(model);
  await model.run({ rows: [[5.1, 3.5, 1.4, 0.2]] });
  const gained = workerThreads() - before;
  await models.pop()!.dispose();
  return gained;
}

describe.skipIf(process.platform !== 'linux')('a worker session in onnxruntime', () => {
  it('starts cores - 1 intra-op threads by default, and as many as `threads` asks for', async () => {
    await threadsOfWorkerModel({}); // onnxruntime's own environment starts with the first session
    // An intra-op pool of n threads is the worker's own thread and n - 1 more.
    const one = await threadsOfWorkerModel({ threads: 1 });
    expect((await threadsOfWorkerModel({ threads: 3 })) - one).toBe(2);
    expect((await threadsOfWorkerModel({})) - one).toBe(Math.max(1, availableParallelism() - 1) - 1);
  });
});
