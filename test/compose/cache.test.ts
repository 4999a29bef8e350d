import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  type CacheStore,
  cache,
  canonicalJson,
  type ModelEvent,
  NetworkError,
} from '../../src/index.ts';
import { echoModel, histogramEmbedder } from '../support/echo-model.ts';
import { collect, failingModel, fixedModel } from './models.ts';

const greedy = { prompt: 'one two three', temperature: 0 };

/** A Map-backed store that records what it was asked. */
function recordingStore() {
  const map = new Map<string, unknown>();
  const sets: { key: string; ttlMs: number | undefined }[] = [];
  const store: CacheStore = {
    get: async (key) => map.get(key),
    set: async (key, value, ttlMs) => {
      sets.push({ key, ttlMs });
      map.set(key, value);
    },
  };
  return { store, sets, map };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('cache', () => {
  it('answers a repeated greedy call from the cache without calling the model again', async () => {
    const echo = echoModel();
    const model = cache(echo.model);
    const first = await model.run(greedy);
    const second = await model.run(greedy);
    expect(second).toEqual(first);
    expect(echo.calls()).toBe(1);
  });

  it('sends cache-miss on the first call and cache-hit on the repeat, with the same key', async () => {
    const events: ModelEvent[] = [];
    const model = cache(echoModel().model);
    await model.run(greedy, { onEvent: (event) => events.push(event) });
    await model.run(greedy, { onEvent: (event) => events.push(event) });
    const cacheEvents = events.filter((event) => event.type === 'cache-hit' || event.type === 'cache-miss');
    expect(cacheEvents.map((event) => event.type)).toEqual(['cache-miss', 'cache-hit']);
    const [miss, hit] = cacheEvents as { key: string }[];
    expect(hit!.key).toBe(miss!.key);
    expect(miss!.key).toContain('echo:words');
  });

  it('finds an input whose keys are in another order', async () => {
    const echo = echoModel();
    const model = cache(echo.model);
    await model.run({ prompt: 'a b', temperature: 0, maxTokens: 5 });
    await model.run({ maxTokens: 5, temperature: 0, prompt: 'a b' });
    expect(echo.calls()).toBe(1);
  });

  it('does not mix up different inputs', async () => {
    const echo = echoModel();
    const model = cache(echo.model);
    expect((await model.run({ prompt: 'a b', temperature: 0 })).text).toBe('a b');
    expect((await model.run({ prompt: 'c d', temperature: 0 })).text).toBe('c d');
    expect(echo.calls()).toBe(2);
  });

  it('passes sampled text generation (temperature above 0, no seed) through without caching', async () => {
    const echo = echoModel();
    const events: ModelEvent[] = [];
    const model = cache(echo.model);
    const sampled = { prompt: 'one two', temperature: 0.7 };
    await model.run(sampled, { onEvent: (event) => events.push(event) });
    await model.run(sampled, { onEvent: (event) => events.push(event) });
    expect(echo.calls()).toBe(2);
    expect(events.some((event) => event.type.startsWith('cache'))).toBe(false);
  });

  it('does not cache text generation without a temperature (the provider default samples)', async () => {
    const echo = echoModel();
    const model = cache(echo.model);
    await model.run({ prompt: 'x' });
    await model.run({ prompt: 'x' });
    expect(echo.calls()).toBe(2);
  });

  it('caches seeded text generation', async () => {
    const echo = echoModel();
    const model = cache(echo.model);
    await model.run({ prompt: 'x y', temperature: 1, seed: 7 });
    await model.run({ prompt: 'x y', temperature: 1, seed: 7 });
    expect(echo.calls()).toBe(1);
  });

  it('caches embeddings, and a caller changing a returned vector does not change the cached one', async () => {
    const histogram = histogramEmbedder();
    const model = cache(histogram.model);
    const first = await model.run({ texts: ['hello'] });
    const original = Array.from(first.embeddings[0]!);
    first.embeddings[0]![0] = 999;
    const second = await model.run({ texts: ['hello'] });
    expect(Array.from(second.embeddings[0]!)).toEqual(original);
    expect(second.embeddings[0]).toBeInstanceOf(Float32Array);
    expect(histogram.calls()).toBe(1);
  });

  it('replays a cached stream chunk for chunk', async () => {
    const echo = echoModel();
    const model = cache(echo.model);
    const first = await collect(model.stream(greedy));
    const second = await collect(model.stream(greedy));
    expect(first.length).toBeGreaterThan(2);
    expect(second).toEqual(first);
    expect(echo.calls()).toBe(1);
  });

  it('does not keep a stream that failed', async () => {
    const cut = failingModel('test:cut', () => new NetworkError('reset'), { chunksBeforeError: ['a '] });
    const model = cache(cut.model);
    await expect(collect(model.stream(greedy))).rejects.toBeInstanceOf(NetworkError);
    await expect(collect(model.stream(greedy))).rejects.toBeInstanceOf(NetworkError);
    expect(cut.calls()).toBe(2);
  });

  it('does not keep a stream the caller left early', async () => {
    const echo = echoModel();
    const model = cache(echo.model);
    for await (const _chunk of model.stream(greedy)) break;
    const chunks = await collect(model.stream(greedy));
    expect(chunks.at(-1)).toMatchObject({ type: 'finish' });
    expect(echo.calls()).toBe(2);
  });

  it('forgets an answer after ttlMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const echo = echoModel();
    const model = cache(echo.model, { ttlMs: 1000 });
    await model.run(greedy);
    vi.advanceTimersByTime(999);
    await model.run(greedy);
    expect(echo.calls()).toBe(1);
    vi.advanceTimersByTime(2);
    await model.run(greedy);
    expect(echo.calls()).toBe(2);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const echo = echoModel();
    const model = cache(echo.model, { maxEntries: 1 });
    for (const prompt of ['a', 'b', 'a']) await model.run({ prompt, temperature: 0 });
    expect(echo.calls()).toBe(3);
  });

  it('uses a given store, with ttlMs and a key naming the model', async () => {
    const { store, sets } = recordingStore();
    const echo = echoModel();
    const model = cache(echo.model, { store, ttlMs: 5000 });
    await model.run(greedy);
    await model.run(greedy);
    expect(echo.calls()).toBe(1);
    expect(sets).toEqual([
      { key: expect.stringMatching(/^mlkit:echo:words:run:[0-9a-f]{64}$/), ttlMs: 5000 },
    ]);
  });

  it('keeps the answers of two models apart in one store', async () => {
    const { store } = recordingStore();
    const echo = echoModel();
    const other = failingModel('test:other', () => new NetworkError('down'));
    await cache(echo.model, { store }).run(greedy);
    await expect(cache(other.model, { store }).run(greedy)).rejects.toBeInstanceOf(NetworkError);
    expect(other.calls()).toBe(1);
  });

  it('shares one model call between concurrent identical calls', async () => {
    const echo = echoModel({ delayMs: 20 });
    const model = cache(echo.model);
    const [a, b] = await Promise.all([model.run(greedy), model.run(greedy)]);
    expect(b).toEqual(a);
    expect(echo.calls()).toBe(1);
  });

  it('lets one caller of a shared call abort without aborting it for the others', async () => {
    const slow = fixedModel('test:slow', 'answer', { delayMs: 50 });
    const model = cache(slow.model);
    const controller = new AbortController();
    const leaving = model.run(greedy, { signal: controller.signal });
    const staying = model.run(greedy);
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(leaving).rejects.toBeInstanceOf(AbortError);
    expect((await staying).text).toBe('answer');
    expect(slow.calls()).toBe(1);
    expect(slow.signals[0]!.aborted).toBe(false);
  });

  it('aborts the shared call once every caller has left, and the next caller starts a new one', async () => {
    const slow = fixedModel('test:slow', 'answer', { delayMs: 60_000 });
    const model = cache(slow.model);
    const first = new AbortController();
    const second = new AbortController();
    const calls = [
      model.run(greedy, { signal: first.signal }).catch((e: unknown) => e),
      model.run(greedy, { signal: second.signal }).catch((e: unknown) => e),
    ];
    await new Promise((resolve) => setTimeout(resolve, 5));
    first.abort();
    expect(slow.signals[0]!.aborted).toBe(false);
    second.abort();
    expect(await Promise.all(calls)).toEqual([expect.any(AbortError), expect.any(AbortError)]);
    expect(slow.signals[0]!.aborted).toBe(true);
    const third = new AbortController();
    const next = model.run(greedy, { signal: third.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(slow.calls()).toBe(2);
    third.abort();
    await next;
  });

  it('refuses a ttlMs that is not positive, naming the option', () => {
    expect(() => cache(echoModel().model, { ttlMs: 0 })).toThrow(/ttlMs must be a positive/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys and writes typed arrays with their type', () => {
    expect(canonicalJson({ b: 1, a: new Float32Array([1.5, 2]) })).toBe(
      '{"a":{"$Float32Array":[1.5,2]},"b":1}',
    );
  });

  it('tells a Float32Array from an Int32Array of the same numbers, and writes bigints', () => {
    expect(canonicalJson(new Int32Array([1]))).not.toBe(canonicalJson(new Float32Array([1])));
    expect(canonicalJson(new BigInt64Array([2n ** 60n]))).toBe('{"$BigInt64Array":[1152921504606846976]}');
  });
});
