import { describe, expect, it } from 'vitest';
import { RunQueue } from '../src/queue.ts';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('RunQueue', () => {
  it('never runs two jobs at once and keeps FIFO order', async () => {
    const queue = new RunQueue(1);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (n: number) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 2));
      order.push(n);
      running--;
      return n;
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => queue.run(job(n))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(1);
  });

  it('takes an aborted waiting job out of the line without running it', async () => {
    const queue = new RunQueue(1);
    const gate = deferred();
    const ran: string[] = [];
    const first = queue.run(async () => {
      ran.push('first');
      await gate.promise;
    });
    const controller = new AbortController();
    const second = queue.run(async () => void ran.push('second'), controller.signal);
    const third = queue.run(async () => void ran.push('third'));
    expect(queue.size).toBe(2);
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'abort' });
    expect(queue.size).toBe(1);
    gate.resolve();
    await first;
    await third;
    expect(ran).toEqual(['first', 'third']);
  });

  it('rejects at once with AbortError for an already aborted signal', async () => {
    const queue = new RunQueue(1);
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    await expect(
      queue.run(async () => {
        ran = true;
      }, controller.signal),
    ).rejects.toMatchObject({
      code: 'abort',
    });
    expect(ran).toBe(false);
  });

  it('releases the caller of a running job on abort but keeps the slot until the job ends', async () => {
    const queue = new RunQueue(1);
    const gate = deferred();
    const controller = new AbortController();
    const running = queue.run(() => gate.promise, controller.signal);
    let nextStarted = false;
    const next = queue.run(async () => {
      nextStarted = true;
    });
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'abort' });
    expect(nextStarted).toBe(false);
    gate.resolve();
    await next;
    expect(nextStarted).toBe(true);
  });

  it('goes on with the next job after a job fails', async () => {
    const queue = new RunQueue(1);
    const failing = queue.run(async () => {
      throw new Error('boom');
    });
    const after = queue.run(async () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(after).resolves.toBe('ok');
  });
});
