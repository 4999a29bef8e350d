import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { queryObjects, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroBatcher } from '../src/batcher.ts';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { RunQueue } from '../src/queue.ts';
import { loadTokenizer } from '../src/tokenizer.ts';
import { recordSessions } from './ort-spy.ts';
import { fixture } from './support.ts';

// Memory bounds in counts (issue 12 item 5): calls leave no onnxruntime tensor alive and no listener on
// the caller's signal, and the one cache on the call path (the BPE tokenizer's) has a maximum size.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collect garbage, and again after finalizers ran (an ORT tensor's native buffer is freed by one). */
async function collectGarbage(): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const Tensor = ((ortNode as { Tensor?: unknown }).Tensor ??
  (ortNode as unknown as { default: { Tensor: unknown } }).default.Tensor) as new () => unknown;

async function liveTensors(): Promise<number> {
  await collectGarbage();
  return (queryObjects as (c: unknown, o: { format: 'count' }) => number)(Tensor, { format: 'count' });
}

describe('memory bounds', () => {
  let iris: OnnxModel<any>;
  let bert: OnnxModel<any>;
  let gpt: OnnxModel<any>;

  beforeAll(async () => {
    iris = await loadModel(fixture('iris-classifier'), { task: 'classification' });
    bert = await loadModel(fixture('tiny-bert'), { task: 'embedding' });
    gpt = await loadModel(fixture('tiny-gpt'), { task: 'text-generation' });
  });
  afterAll(async () => {
    await Promise.all([iris?.dispose(), bert?.dispose(), gpt?.dispose()]);
  });

  /** One call of each kind with `signal`, concurrent ones batched, and a stream left after its first chunk. */
  async function round(i: number, signal: AbortSignal) {
    await Promise.all([
      iris.run({ rows: [[5.1, 3.5, 1.4, 0.2]] }, { signal }),
      iris.run({ rows: [[6.7, 3.0, 5.2, 2.3]] }, { signal }),
      bert.run({ texts: [`the cat sat ${i}`, 'a dog'] }, { signal }),
      bert.run({ texts: ['on the mat'] }, { signal }),
      gpt.run({ prompt: `the cat ${i}`, maxTokens: 4, temperature: 0 }, { signal }),
    ]);
    for await (const _ of gpt.stream({ prompt: 'the dog', maxTokens: 8, temperature: 0 }, { signal })) break;
  }

  it('keeps no onnxruntime tensor alive after 60 rounds of classification, embedding and generation', async () => {
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) await round(i, signal);
    const baseline = await liveTensors();
    // The count sees tensors that are held: ten more while these live.
    const held = Array.from(
      { length: 10 },
      () =>
        new (Tensor as never as new (t: string, d: Float32Array, s: number[]) => unknown)(
          'float32',
          new Float32Array(4),
          [4],
        ),
    );
    expect(await liveTensors()).toBe(baseline + held.length);
    held.length = 0;
    for (let i = 0; i < 60; i++) await round(i, signal);
    const after = await liveTensors();
    // 60 rounds feed and fetch well over 1,000 tensors (a generation's KV cache alone is several per step).
    expect(after - baseline).toBeLessThanOrEqual(0);
  });

  it("frees each decode step's logits and fed past KV cache once read, and the last step's cache at the end", async () => {
    type Seen = Record<string, { dims: readonly number[]; data: unknown }>;
    const fed: Seen[] = [];
    const returned: Seen[] = [];
    const { result: model } = await recordSessions(
      () => loadModel(fixture('tiny-gpt'), { task: 'text-generation' }),
      (record) => {
        record.onRun = (feeds) => fed.push(feeds as Seen);
        record.onOutputs = (outputs) => returned.push(outputs);
      },
    );
    try {
      const output = await model.run({ prompt: 'the cat', maxTokens: 12, temperature: 0 });
      expect(output.usage.outputTokens).toBe(12);
      expect(returned).toHaveLength(12); // a prefill and 11 cached steps
      const bytes = (tensor: { data: unknown }) => (tensor.data as Float32Array).buffer.byteLength;
      const names = (seen: Seen, prefix: string) =>
        Object.keys(seen).filter((name) => name.startsWith(prefix));
      for (const outputs of returned) {
        expect(bytes(outputs.logits!)).toBe(0);
        expect(names(outputs, 'present').length).toBeGreaterThan(0);
        for (const name of names(outputs, 'present')) expect(bytes(outputs[name]!)).toBe(0);
      }
      // Each step after the prefill was fed the previous step's presents, and those are what was freed.
      for (const [step, feeds] of fed.entries()) {
        for (const name of names(feeds, 'past_key_values')) {
          const present = returned[step - 1]?.[name.replace('past_key_values', 'present')];
          if (step === 0) expect(feeds[name]!.dims[2]).toBe(0);
          else expect(feeds[name]).toBe(present);
        }
      }
    } finally {
      await model.dispose();
    }
  });

  it('leaves no abort listener on a signal shared by every call', async () => {
    const shared = new AbortController();
    for (let i = 0; i < 20; i++) await round(i, shared.signal);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('MicroBatcher and RunQueue remove their listener from a shared signal once a call is done or has left', async () => {
    const shared = new AbortController();
    const batcher = new MicroBatcher<number, number>({
      windowMs: 0,
      maxBatch: 4,
      runBatch: async (items) => items.map((x) => x * 2),
    });
    const queue = new RunQueue(1);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      calls.push(batcher.add([i], shared.signal));
      calls.push(queue.run(async () => i, shared.signal));
      // A caller that leaves while it waits.
      const leaving = new AbortController();
      const waiting = queue.run(async () => i, AbortSignal.any([shared.signal, leaving.signal]));
      leaving.abort();
      calls.push(waiting.catch(() => {}));
    }
    await Promise.all(calls);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it("holds the byte-level BPE tokenizer's word cache at its capacity, however many distinct words it meets", () => {
    const tokenizer = loadTokenizer(
      {
        tokenizerJson: JSON.parse(readFileSync(fixture('tiny-gpt', 'tokenizer.json'), 'utf8')),
        tokenizerConfig: JSON.parse(readFileSync(fixture('tiny-gpt', 'tokenizer_config.json'), 'utf8')),
      },
      'tiny-gpt',
    );
    // @huggingface/tokenizers' BPE keeps an LRU cache of words it has split; reach it to count its entries.
    const model = (
      tokenizer.tokenizer as unknown as {
        model: { cache_capacity: number; cache: { cache: Map<string, unknown> } };
      }
    ).model;
    expect(model.cache.cache).toBeInstanceOf(Map);
    const capacity = model.cache_capacity;
    expect(capacity).toBeGreaterThan(0);
    // Letters only (the pre-tokenizer splits digits off): 'ba', 'bb', ... each a word of its own.
    const letters = (n: number) =>
      [...n.toString(26)].map((d) => String.fromCharCode(97 + Number.parseInt(d, 26))).join('');
    const words = Array.from({ length: capacity + 2000 }, (_, i) => `z${letters(i)}`);
    for (let start = 0; start < words.length; start += 200) {
      tokenizer.encode(words.slice(start, start + 200).join(' '));
    }
    expect(model.cache.cache.size).toBeLessThanOrEqual(capacity);
    expect(model.cache.cache.size).toBeGreaterThan(capacity / 2); // it is the cache the words went through
  });
});
