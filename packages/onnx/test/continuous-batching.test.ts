// Continuous batching: concurrent generations share decode steps, and each one's output is the one
// it gets alone. Every bound is checked on what reached onnxruntime (the feeds of each session.run),
// by counts, never by time.
import {
  AbortError,
  InvalidInputError,
  ModelLoadError,
  OverloadedError,
  type TextGenerationChunk,
  type TextGenerationInput,
  type TextGenerationOutput,
} from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { recordSessions } from './ort-spy.ts';
import { fixture } from './support.ts';

type Generator = OnnxModel<import('@mlkit/core').TextGenerationTask>;
type Feeds = Record<string, { dims: readonly number[]; data: ArrayLike<bigint | number> }>;

/** What one session.run was fed: rows, whether it was a prefill, and the real (unmasked) KV tokens. */
interface Run {
  rows: number;
  prefill: boolean;
  kvTokens: number;
  /** Columns of the past fed (padding and placeholders included). */
  pastColumns: number;
}

const EOS = 509;
/** Long generations: eos banned, so each runs to its maxTokens. */
const longer = { logitBias: { [EOS]: -100 } };

let alone: Generator;

beforeAll(async () => {
  alone = (await loadModel(fixture('tiny-gpt'), { task: 'text-generation' })) as Generator;
});
afterAll(() => alone.dispose());

/** A batching model whose every session.run is recorded. */
async function batchingModel(options: { maxBatch?: number; maxKvTokens?: number; maxQueue?: number } = {}) {
  const runs: Run[] = [];
  const { result } = await recordSessions(
    () => loadModel(fixture('tiny-gpt'), { task: 'text-generation', continuousBatching: options }),
    (record) => {
      record.onRun = (raw) => {
        const feeds = raw as unknown as Feeds;
        const [rows, width] = feeds.input_ids!.dims as [number, number];
        let kvTokens = 0;
        for (const bit of Array.from(feeds.attention_mask!.data)) kvTokens += Number(bit);
        const pastColumns = feeds['past_key_values.0.key']!.dims[2]!;
        runs.push({ rows, prefill: width > 1 || pastColumns === 0, kvTokens, pastColumns });
      };
    },
  );
  return { model: result as Generator, runs };
}

const summary = (output: TextGenerationOutput) => ({
  text: output.text,
  finishReason: output.finishReason,
  inputTokens: output.usage.inputTokens,
  outputTokens: output.usage.outputTokens,
});

async function runAlone(inputs: TextGenerationInput[]) {
  const outputs = [];
  for (const input of inputs) outputs.push(summary(await alone.run(input)));
  return outputs;
}

/** Reads a stream, calling `after(n)` once after its n-th text delta. */
async function readStream(
  stream: AsyncIterable<TextGenerationChunk>,
  after?: { deltas: number; run: () => void },
) {
  let text = '';
  let deltas = 0;
  let outputTokens: number | undefined;
  for await (const chunk of stream) {
    if (chunk.type === 'text-delta') {
      text += chunk.text;
      deltas++;
      if (after && deltas === after.deltas) after.run();
    } else if (chunk.type === 'finish') outputTokens = chunk.usage.outputTokens;
  }
  return { text, deltas, outputTokens };
}

describe('continuous batching of text generation', () => {
  it('gives N concurrent greedy requests of different prompts and maxTokens the outputs each gets alone', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'the cat', maxTokens: 9, temperature: 0, ...longer },
      { prompt: 'the cat sat on the mat and looked', maxTokens: 23, temperature: 0, ...longer },
      { prompt: 'a dog ran', maxTokens: 14, temperature: 0 },
      { prompt: 'once upon a time there was a', maxTokens: 31, temperature: 0, ...longer },
      { prompt: 'hello', maxTokens: 5, temperature: 0, ...longer },
      { prompt: 'the cat sat', maxTokens: 18, temperature: 0, ...longer },
    ];
    const expected = await runAlone(inputs);
    const { model, runs } = await batchingModel({ maxBatch: 8 });
    try {
      const outputs = await Promise.all(inputs.map((input) => model.run(input)));
      expect(outputs.map(summary)).toEqual(expected);
      // They really shared steps: some decode step fed several rows, and fewer runs were made than alone.
      expect(Math.max(...runs.filter((run) => !run.prefill).map((run) => run.rows))).toBeGreaterThan(1);
      const aloneRuns = expected.reduce((sum, output) => sum + output.outputTokens!, 0);
      expect(runs.length).toBeLessThan(aloneRuns);
      // Prompts of different lengths were prefilled together (right-padded): fewer prefills than lengths.
      const lengths = new Set(expected.map((output) => output.inputTokens)).size;
      expect(runs.filter((run) => run.prefill).length).toBeLessThan(lengths);
      expect(model.describe().batches).toBe(runs.filter((run) => !run.prefill).length);
    } finally {
      await model.dispose();
    }
  });

  it('gives a request that joins a running batch mid-way the text it gets alone', async () => {
    const first: TextGenerationInput = {
      prompt: 'once upon a time',
      maxTokens: 40,
      temperature: 0,
      ...longer,
    };
    const late: TextGenerationInput = {
      prompt: 'the dog sat on the',
      maxTokens: 12,
      temperature: 0,
      ...longer,
    };
    const [expectedFirst, expectedLate] = await runAlone([first, late]);
    const { model, runs } = await batchingModel();
    try {
      let joined: Promise<TextGenerationOutput> | undefined;
      let runsBeforeJoin = 0;
      const firstText = await readStream(model.stream(first), {
        deltas: 10,
        run: () => {
          runsBeforeJoin = runs.length;
          joined = model.run(late);
        },
      });
      expect(joined).toBeDefined();
      expect(summary(await joined!)).toEqual(expectedLate);
      expect(firstText.text).toBe(expectedFirst!.text);
      expect(firstText.outputTokens).toBe(expectedFirst!.outputTokens);
      // The newcomer was prefilled alone, then decoded in the same steps as the running one.
      const afterJoin = runs.slice(runsBeforeJoin);
      expect(afterJoin[0]).toMatchObject({ rows: 1, prefill: true });
      expect(afterJoin.some((run) => !run.prefill && run.rows === 2)).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it('aborting one leaves the others unchanged and frees its place for a waiting request', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'the cat', maxTokens: 30, temperature: 0, ...longer },
      { prompt: 'a dog ran away from', maxTokens: 30, temperature: 0, ...longer },
      { prompt: 'hello there', maxTokens: 30, temperature: 0, ...longer },
    ];
    const waiting: TextGenerationInput = { prompt: 'the mat', maxTokens: 8, temperature: 0, ...longer };
    const expected = await runAlone([...inputs, waiting]);
    const { model, runs } = await batchingModel({ maxBatch: 3 });
    try {
      const controller = new AbortController();
      let waitingOutput: Promise<TextGenerationOutput> | undefined;
      const aborted = readStream(model.stream(inputs[1]!, { signal: controller.signal }), {
        deltas: 5,
        run: () => {
          // The batch is full: this one waits until the abort below frees a place.
          waitingOutput = model.run(waiting);
          controller.abort();
        },
      });
      const others = [model.run(inputs[0]!), model.run(inputs[2]!)];
      await expect(aborted).rejects.toBeInstanceOf(AbortError);
      const [a, c] = await Promise.all(others);
      expect([summary(a!), summary(c!)]).toEqual([expected[0], expected[2]]);
      expect(summary(await waitingOutput!)).toEqual(expected[3]);
      // Never more than maxBatch rows, and the aborted row left: three rows at most, then no step of four.
      expect(Math.max(...runs.map((run) => run.rows))).toBeLessThanOrEqual(3);
      // The aborted sequence stopped early: the steps fed fewer tokens than four full generations.
      const fedTokens = runs.filter((run) => !run.prefill).reduce((sum, run) => sum + run.rows, 0);
      expect(fedTokens).toBeLessThan(30 * 3 + 8);
    } finally {
      await model.dispose();
    }
  });

  it('never holds more than maxBatch sequences or maxKvTokens of KV; the rest wait their turn', async () => {
    const inputs: TextGenerationInput[] = Array.from({ length: 7 }, (_, i) => ({
      prompt: ['the cat', 'a dog ran', 'hello', 'once upon a time'][i % 4]!,
      maxTokens: 6 + 3 * i,
      temperature: 0,
      ...longer,
    }));
    const expected = await runAlone(inputs);
    const promptTokens = Math.max(...expected.map((output) => output.inputTokens!));
    // Room for about two sequences' prompt + maxTokens: KV, not maxBatch, is the limit here.
    const maxKvTokens = 2 * (promptTokens + 24);
    const { model, runs } = await batchingModel({ maxBatch: 4, maxKvTokens });
    try {
      const outputs = await Promise.all(inputs.map((input) => model.run(input)));
      expect(outputs.map(summary)).toEqual(expected);
      for (const run of runs) {
        expect(run.rows).toBeLessThanOrEqual(4);
        // Mask ones = real KV tokens plus the step's own tokens: within the budget.
        expect(run.kvTokens).toBeLessThanOrEqual(maxKvTokens);
      }
      expect(runs.some((run) => !run.prefill && run.rows === 2)).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it("frees each decode step's past once fed, a regrouped batch's old past, and the last one once idle", async () => {
    type Seen = Record<string, { dims: readonly number[]; data: unknown }>;
    /** What each decode step (one new token per row) returned. */
    const decodes: Seen[] = [];
    let decoding = false;
    const { result } = await recordSessions(
      () => loadModel(fixture('tiny-gpt'), { task: 'text-generation', continuousBatching: {} }),
      (record) => {
        record.onRun = (feeds) => {
          decoding = feeds.input_ids!.dims[1] === 1;
        };
        record.onOutputs = (outputs) => {
          if (decoding) decodes.push(outputs);
        };
      },
    );
    const model = result as Generator;
    try {
      // Different lengths: rows leave at different steps, so the batch is regrouped on the way.
      const inputs = [5, 9, 14].map((maxTokens) => ({
        prompt: 'the cat',
        maxTokens,
        temperature: 0,
        ...longer,
      }));
      const expected = await runAlone(inputs);
      const outputs = await Promise.all(inputs.map((input) => model.run(input)));
      expect(outputs.map(summary)).toEqual(expected);
      expect(decodes.length).toBeGreaterThanOrEqual(13); // the longest's steps after its prefill
      expect(Math.max(...decodes.map((outputs) => outputs['present.0.key']!.dims[0]!))).toBe(3);
      for (const outputs of decodes) {
        const presents = Object.entries(outputs).filter(([name]) => name.startsWith('present'));
        expect(presents.length).toBeGreaterThan(0);
        for (const [, tensor] of presents) expect((tensor.data as Float32Array).buffer.byteLength).toBe(0);
      }
    } finally {
      await model.dispose();
    }
  });

  it('streams deliver deltas that add up to the text of a run', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'the cat', maxTokens: 12, temperature: 0, ...longer },
      { prompt: 'once upon a time there', maxTokens: 20, temperature: 0, ...longer },
      { prompt: 'hello', maxTokens: 16, temperature: 0, ...longer },
    ];
    const expected = await runAlone(inputs);
    const { model } = await batchingModel();
    try {
      const streamed = await Promise.all(inputs.map((input) => readStream(model.stream(input))));
      streamed.forEach((result, i) => {
        expect(result.text).toBe(expected[i]!.text);
        expect(result.outputTokens).toBe(expected[i]!.outputTokens);
        expect(result.deltas).toBeGreaterThan(1);
      });
    } finally {
      await model.dispose();
    }
  });

  it('a stream read slowly keeps its place: the others step on, and every text is the one alone', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'the cat', maxTokens: 24, temperature: 0, ...longer },
      { prompt: 'once upon a time there', maxTokens: 60, temperature: 0, ...longer },
    ];
    const expected = await runAlone(inputs);
    const { model, runs } = await batchingModel();
    try {
      const slow = (async () => {
        let text = '';
        for await (const chunk of model.stream(inputs[0]!)) {
          if (chunk.type === 'text-delta') text += chunk.text;
          // A reader busy elsewhere for a few event-loop turns between chunks.
          for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return text;
      })();
      const [slowText, fast] = await Promise.all([slow, model.run(inputs[1]!)]);
      expect(slowText).toBe(expected[0]!.text);
      expect(summary(fast)).toEqual(expected[1]);
      // The slow one was fed masked placeholder tokens in steps it was not ready for: more rows than tokens.
      const fedRows = runs.filter((run) => !run.prefill).reduce((sum, run) => sum + run.rows, 0);
      const decodedTokens = expected[0]!.outputTokens! - 1 + expected[1]!.outputTokens! - 1;
      expect(fedRows).toBeGreaterThan(decodedTokens);
    } finally {
      await model.dispose();
    }
  });

  it('repacks the batch when readers that take turns leave placeholder columns, so the past stays near the longest row', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'the cat', maxTokens: 40, temperature: 0, ...longer },
      { prompt: 'once upon a time there', maxTokens: 40, temperature: 0, ...longer },
    ];
    const expected = await runAlone(inputs);
    const { model, runs } = await batchingModel();
    try {
      // Two readers that pull their next chunk only in turns: most steps find one of them not ready.
      let turn = 0;
      const done = [false, false];
      const waiting: Array<(() => void) | undefined> = [undefined, undefined];
      const myTurn = (me: number) =>
        turn === me || done[1 - me] ? undefined : new Promise<void>((resolve) => (waiting[me] = resolve));
      const pass = (me: number) => {
        turn = 1 - me;
        waiting[turn]?.();
        waiting[turn] = undefined;
      };
      const read = async (me: number) => {
        let text = '';
        for await (const chunk of model.stream(inputs[me]!)) {
          if (chunk.type !== 'text-delta') continue;
          text += chunk.text;
          pass(me);
          await myTurn(me);
        }
        done[me] = true;
        pass(me);
        return text;
      };
      const texts = await Promise.all([read(0), read(1)]);
      expect(texts).toEqual(expected.map((output) => output.text));
      const decodeSteps = runs.filter((run) => !run.prefill);
      // Taking turns left placeholders: more decode steps than the longer generation's tokens.
      expect(decodeSteps.length).toBeGreaterThan(40 + 16);
      // Without repacking the past would grow by one column per step; it stays within 16 of the longest row.
      const longest = Math.max(...expected.map((output) => output.inputTokens! + output.outputTokens!));
      expect(Math.max(...runs.map((run) => run.pastColumns))).toBeLessThanOrEqual(longest + 16);
    } finally {
      await model.dispose();
    }
  });

  it('constrains a JSON row by its grammar while the other rows decode free text', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'give me json', maxTokens: 24, temperature: 0, responseFormat: { type: 'json' } },
      { prompt: 'the cat sat on the', maxTokens: 16, temperature: 0, ...longer },
    ];
    const expected = await runAlone(inputs);
    const { model } = await batchingModel();
    try {
      const outputs = await Promise.all(inputs.map((input) => model.run(input)));
      expect(outputs.map(summary)).toEqual(expected);
      expect(expected[0]!.text.trimStart().startsWith('{')).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it('parses tool calls per row: required calls and free text in one batch are those alone', async () => {
    const weather = {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', maxLength: 12 } },
        required: ['city'],
        additionalProperties: false,
      },
    };
    const messages = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
    const inputs: TextGenerationInput[] = [
      { messages, tools: [weather], toolChoice: 'required', temperature: 1, seed: 1, maxTokens: 40 },
      { messages, tools: [weather], toolChoice: 'required', temperature: 1, seed: 2, maxTokens: 40 },
      { messages, temperature: 0, maxTokens: 12 },
    ];
    const folder = fixture('tiny-gpt-tools');
    const single = await loadModel(folder, { task: 'text-generation' });
    const batched = await loadModel(folder, { task: 'text-generation', continuousBatching: {} });
    try {
      // Call ids are random per call; the calls themselves must match.
      const shape = (output: TextGenerationOutput) => ({
        ...summary(output),
        toolCalls: output.toolCalls?.map(({ name, arguments: args }) => ({ name, args })),
      });
      const expected = [];
      for (const input of inputs) expected.push(shape(await single.run(input)));
      const outputs = await Promise.all(inputs.map((input) => batched.run(input)));
      expect(outputs.map(shape)).toEqual(expected);
      expect(expected[0]!.toolCalls?.length).toBeGreaterThan(0);
      expect(batched.describe().batches).toBeGreaterThan(0);
    } finally {
      await single.dispose();
      await batched.dispose();
    }
  });

  it('samples each sequence with its own temperature, topP and seed', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'the cat', maxTokens: 15, temperature: 0.9, seed: 7, ...longer },
      {
        prompt: 'once upon a time there was a',
        maxTokens: 15,
        temperature: 1.3,
        topP: 0.8,
        seed: 11,
        ...longer,
      },
      { prompt: 'the cat', maxTokens: 15, temperature: 1.3, topP: 0.8, seed: 12, ...longer },
      { prompt: 'a dog ran', maxTokens: 15, temperature: 0, ...longer },
    ];
    const expected = await runAlone(inputs);
    const { model } = await batchingModel();
    try {
      const outputs = await Promise.all(inputs.map((input) => model.run(input)));
      expect(outputs.map(summary)).toEqual(expected);
    } finally {
      await model.dispose();
    }
  });

  it('refuses a request whose prompt + maxTokens exceeds maxKvTokens, naming the limit', async () => {
    const { model, runs } = await batchingModel({ maxKvTokens: 30 });
    try {
      const call = model.run({ prompt: 'the cat', maxTokens: 40 });
      await expect(call).rejects.toBeInstanceOf(InvalidInputError);
      await expect(call).rejects.toThrow(/maxKvTokens is 30/);
      expect(runs).toHaveLength(0);
    } finally {
      await model.dispose();
    }
  });

  it('refuses a request beyond maxQueue with an OverloadedError', async () => {
    const { model } = await batchingModel({ maxBatch: 1, maxQueue: 1 });
    try {
      const input: TextGenerationInput = { prompt: 'the cat', maxTokens: 4, temperature: 0, ...longer };
      const running = model.run(input);
      const queued = model.run(input);
      await expect(model.run(input)).rejects.toBeInstanceOf(OverloadedError);
      const [first, second] = await Promise.all([running, queued]);
      expect(second!.text).toBe(first!.text);
    } finally {
      await model.dispose();
    }
  });

  it('batches a session that runs in a worker thread alike', async () => {
    const inputs: TextGenerationInput[] = [
      { prompt: 'the cat', maxTokens: 10, temperature: 0, ...longer },
      { prompt: 'once upon a time there', maxTokens: 15, temperature: 0, ...longer },
    ];
    const expected = await runAlone(inputs);
    const model = await loadModel(fixture('tiny-gpt'), {
      task: 'text-generation',
      worker: true,
      continuousBatching: {},
    });
    try {
      const outputs = await Promise.all(inputs.map((input) => model.run(input)));
      expect(outputs.map(summary)).toEqual(expected);
      expect(model.describe().batches).toBeLessThan(10 + 15);
    } finally {
      await model.dispose();
    }
  });

  it('is a load error on a decoder without a KV cache', async () => {
    await expect(
      loadModel(fixture('tiny-gpt-nocache'), { task: 'text-generation', continuousBatching: {} }),
    ).rejects.toBeInstanceOf(ModelLoadError);
  });
});
