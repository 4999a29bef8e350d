import { describe, expect, it } from 'vitest';
import {
  type ClassificationTask,
  classification,
  defineModel,
  type EmbeddingTask,
  embedding,
  meter,
  NetworkError,
  ServerError,
  type ShadowReport,
  shadow,
  type TextGenerationTask,
  textGeneration,
} from '../../src/index.ts';
import { echoModel } from '../support/echo-model.ts';
import { collect, failingModel, fixedModel } from './models.ts';

const prompt = { prompt: 'one two', temperature: 0 };

/** An onReport that resolves with the first report. */
function reports<T extends import('../../src/index.ts').Task>() {
  let resolve!: (report: ShadowReport<T>) => void;
  const first = new Promise<ShadowReport<T>>((r) => (resolve = r));
  const seen: ShadowReport<T>[] = [];
  return {
    first,
    seen,
    onReport: (report: ShadowReport<T>) => {
      seen.push(report);
      resolve(report);
    },
  };
}

/** A text model whose calls wait until `release()` is called. */
function heldModel(text: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const model = defineModel<TextGenerationTask>({
    id: 'test:held',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true },
    async run() {
      calls++;
      await gate;
      return { text, finishReason: 'stop', usage: {} };
    },
  });
  return { model, release, calls: () => calls };
}

function labeller(id: string, labels: string[]) {
  return defineModel<ClassificationTask>({
    id,
    task: classification,
    capabilities: { streaming: false, batching: true, local: true },
    async run() {
      return { predictions: labels.map((label) => ({ label, score: 1, scores: { [label]: 1 } })), usage: {} };
    },
  });
}

function embedder(id: string, vectors: number[][]) {
  return defineModel<EmbeddingTask>({
    id,
    task: embedding,
    capabilities: { streaming: false, batching: true, local: true },
    async run() {
      return { embeddings: vectors.map((v) => new Float32Array(v)), dimensions: 2, usage: {} };
    },
  });
}

describe('shadow', () => {
  it('answers from the primary and reports agreement and both latencies', async () => {
    const { first, onReport } = reports<typeof textGeneration>();
    const model = shadow(echoModel().model, echoModel().model, { sampleRate: 1, onReport });
    expect((await model.run(prompt)).text).toBe('one two');
    const report = await first;
    expect(report.agreement).toBe(1);
    expect(report.primary.modelId).toBe('echo:words');
    expect(report.primary.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.candidate.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('does not wait for a slow candidate', async () => {
    const held = heldModel('one two');
    const { first, seen, onReport } = reports<typeof textGeneration>();
    const model = shadow(echoModel().model, held.model, { sampleRate: 1, onReport });
    expect((await model.run(prompt)).text).toBe('one two');
    expect(held.calls()).toBe(1);
    expect(seen).toHaveLength(0);
    held.release();
    expect((await first).agreement).toBe(1);
  });

  it('never fails the caller when the candidate fails, and reports the candidate’s error', async () => {
    const broken = failingModel('test:broken', () => new NetworkError('unreachable'));
    const { first, onReport } = reports<typeof textGeneration>();
    const model = shadow(echoModel().model, broken.model, { sampleRate: 1, onReport });
    expect((await model.run(prompt)).text).toBe('one two');
    const report = await first;
    expect(report.candidate.error).toBeInstanceOf(NetworkError);
    expect(report.agreement).toBeUndefined();
  });

  it('gives the caller the primary’s own error', async () => {
    const down = failingModel('test:down', () => new ServerError('503'));
    const { first, onReport } = reports<typeof textGeneration>();
    const model = shadow(down.model, echoModel().model, { sampleRate: 1, onReport });
    await expect(model.run(prompt)).rejects.toBeInstanceOf(ServerError);
    expect((await first).primary.error).toBeInstanceOf(ServerError);
  });

  it('calls the primary once per call, metered or not, and reports both costs', async () => {
    const primary = fixedModel('test:primary', 'same');
    const metered = meter(primary.model, { usdPerRequest: 0.002 });
    const candidate = meter(fixedModel('test:candidate', 'other').model, { usdPerRequest: 0.0005 });
    const { first, onReport } = reports<typeof textGeneration>();
    const model = shadow(metered, candidate, { sampleRate: 1, onReport });
    await model.run(prompt);
    const report = await first;
    expect(primary.calls()).toBe(1);
    expect(metered.totals().calls).toBe(1);
    expect(report.primary.costUsd).toBeCloseTo(0.002, 12);
    expect(report.candidate.costUsd).toBeCloseTo(0.0005, 12);
    expect(report.agreement).toBe(0);
  });

  it('does not call the candidate on calls outside the sample', async () => {
    const candidate = fixedModel('test:candidate', 'x');
    const draws = [0.7, 0.1, 0.9];
    const { seen, onReport } = reports<typeof textGeneration>();
    const model = shadow(echoModel().model, candidate.model, {
      sampleRate: 0.25,
      onReport,
      random: () => draws.shift()!,
    });
    for (let i = 0; i < 3; i++) await model.run(prompt);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(candidate.calls()).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('measures classification agreement as the share of equal labels', async () => {
    const { first, onReport } = reports<ClassificationTask>();
    const model = shadow(
      labeller('test:a', ['cat', 'dog', 'cat', 'cat']),
      labeller('test:b', ['cat', 'cat', 'cat', 'dog']),
      {
        sampleRate: 1,
        onReport,
      },
    );
    await model.run({ text: ['1', '2', '3', '4'] });
    expect((await first).agreement).toBe(0.5);
  });

  it('measures embedding agreement as the mean cosine similarity', async () => {
    const { first, onReport } = reports<EmbeddingTask>();
    // cos([1,0],[1,0]) = 1; cos([1,0],[0,1]) = 0: mean 0.5.
    const model = shadow(
      embedder('test:a', [
        [1, 0],
        [1, 0],
      ]),
      embedder('test:b', [
        [1, 0],
        [0, 1],
      ]),
      {
        sampleRate: 1,
        onReport,
      },
    );
    await model.run({ texts: ['x', 'y'] });
    expect((await first).agreement).toBeCloseTo(0.5, 6);
  });

  it('streams the primary’s answer and compares its whole text', async () => {
    const { first, onReport } = reports<typeof textGeneration>();
    const model = shadow(echoModel().model, fixedModel('test:candidate', 'one two').model, {
      sampleRate: 1,
      onReport,
    });
    const chunks = await collect(model.stream(prompt));
    expect(chunks.at(-1)).toMatchObject({ type: 'finish' });
    expect((await first).agreement).toBe(1);
  });

  it('still reports a stream the caller left early, without an agreement', async () => {
    const { first, onReport } = reports<typeof textGeneration>();
    const model = shadow(echoModel().model, echoModel().model, { sampleRate: 1, onReport });
    for await (const _chunk of model.stream(prompt)) break;
    const report = await first;
    expect(report.primary.error).toBeUndefined();
    expect(report.agreement).toBeUndefined();
  });

  it('refuses a sampleRate outside 0..1', () => {
    expect(() => shadow(echoModel().model, echoModel().model, { sampleRate: 2, onReport: () => {} })).toThrow(
      /sampleRate must be a number from 0 to 1 \(got 2\)/,
    );
  });
});
