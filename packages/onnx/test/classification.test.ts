import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClassificationTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bertEncodeBatch,
  bertTokenizer,
  createBertWeights,
  createSentimentHead,
  sentimentExamples,
} from '../../../test/fixtures/generate/bert.ts';
import { buildSklearnIrisModel, trainIris } from '../../../test/fixtures/generate/iris.ts';
import { bertClassify } from '../../../test/fixtures/reference/bert.ts';
import { irisForward } from '../../../test/fixtures/reference/iris.ts';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { fixture, loadInferred, maxAbsDiff } from './support.ts';

const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
  [6.3, 2.8, 5.1, 1.5],
];
const names = ['setosa', 'versicolor', 'virginica'];

function probabilitiesOf(predictions: { scores: Record<string, number> }[], labels: string[]): number[] {
  return predictions.flatMap((p) => labels.map((label) => p.scores[label]!));
}

describe('tabular classification', () => {
  const reference = irisForward(trainIris(), rows);

  it('reads scikit-learn outputs (output_label + output_probability) with labels from id2label', async () => {
    const model = await loadInferred('classification', fixture('iris-classifier'));
    expect(model.task).toBe('classification');
    const { predictions } = await model.run({ rows });
    expect(predictions.map((p) => p.label)).toEqual(reference.labels.map((i) => names[i]));
    expect(maxAbsDiff(probabilitiesOf(predictions, names), reference.probabilities.flat())).toBeLessThan(
      1e-4,
    );
    for (const p of predictions) expect(p.score).toBe(Math.max(...Object.values(p.scores)));
    await model.dispose();
  });

  it('applies softmax to a logits output', async () => {
    const model = await loadInferred('classification', fixture('iris-classifier-logits'));
    expect(model.task).toBe('classification');
    const { predictions } = await model.run({ rows });
    expect(maxAbsDiff(probabilitiesOf(predictions, names), reference.probabilities.flat())).toBeLessThan(
      1e-4,
    );
    await model.dispose();
  });

  it('takes labels from the labels option over config.json', async () => {
    const model = await loadInferred('classification', fixture('iris-classifier-logits'), {
      labels: ['a', 'b', 'c'],
    });
    const { predictions } = await model.run({ rows: [rows[0]!] });
    expect(predictions[0]!.label).toBe('a');
    expect(Object.keys(predictions[0]!.scores)).toEqual(['a', 'b', 'c']);
    await model.dispose();
  });

  it('refuses at load a label list that does not fit the model, naming both counts', async () => {
    const error = await loadModel(fixture('iris-classifier'), { labels: ['yes', 'no'] }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'model_load' });
    expect((error as Error).message).toMatch(/scores 3 classes but the labels option names 2/);
  });

  it('rejects rows of the wrong width and text for a tabular model with InvalidInputError', async () => {
    const model = await loadInferred('classification', fixture('iris-classifier'));
    const before = model.describe().runs;
    const narrow = await model.run({ rows: [[1, 2, 3]] }).catch((e: unknown) => e);
    expect(narrow).toMatchObject({ code: 'invalid_input' });
    expect((narrow as Error).message).toMatch(/input\.rows\[0\]: expected 4 features, got 3/);
    const text = await model.run({ text: 'hello' }).catch((e: unknown) => e);
    expect((text as Error).message).toMatch(/classifies feature rows; pass \{ rows \}/);
    expect(model.describe().runs).toBe(before);
    await model.dispose();
  });
});

describe('class labels of a bare scikit-learn export (no config.json)', () => {
  const reference = irisForward(trainIris(), rows);

  it('names classes from the LinearClassifier classlabels_strings', async () => {
    const bytes = buildSklearnIrisModel(trainIris(), { classLabels: names, zipmap: false });
    const model = await loadInferred('classification', bytes);
    const { predictions } = await model.run({ rows });
    expect(predictions.map((p) => p.label)).toEqual(reference.labels.map((i) => names[i]));
    expect(Object.keys(predictions[0]!.scores)).toEqual(names);
    await model.dispose();
  });

  it('names classes from classlabels_ints as the integers sklearn had (-1, 1, 7), read from a folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlkit-onnx-sklearn-'));
    const bytes = buildSklearnIrisModel(trainIris(), { classLabels: [-1, 1, 7], zipmap: false });
    await writeFile(join(dir, 'model.onnx'), bytes);
    const model = await loadModel(dir, { task: 'classification' });
    const { predictions } = await model.run({ rows });
    expect(predictions.map((p) => p.label)).toEqual(reference.labels.map((i) => ['-1', '1', '7'][i]));
    await model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('prefers the labels option over the classifier node', async () => {
    const bytes = buildSklearnIrisModel(trainIris(), { classLabels: names, zipmap: false });
    const model = await loadModel(bytes, { task: 'classification', labels: ['a', 'b', 'c'] });
    const { predictions } = await model.run({ rows: [rows[0]!] });
    expect(Object.keys(predictions[0]!.scores)).toEqual(['a', 'b', 'c']);
    await model.dispose();
  });
});

describe('text classification', () => {
  const tokenizer = bertTokenizer();
  const weights = createBertWeights();
  const head = createSentimentHead(weights, tokenizer);
  const texts = [
    'I love this movie.',
    'What a waste of time.',
    'The happy dog wagged its tail and the music was excellent.',
  ];
  let model: OnnxModel<ClassificationTask>;
  beforeAll(async () => {
    model = await loadInferred('classification', fixture('tiny-bert-sentiment'));
  });
  afterAll(() => model.dispose());

  it('tokenizes, runs and names classes from id2label, equal to the reference forward pass', async () => {
    expect(model.task).toBe('classification');
    const { predictions, usage } = await model.run({ text: texts });
    const logits = bertClassify(weights, head, bertEncodeBatch(tokenizer, texts));
    const expected = logits.flatMap((row) => {
      const max = Math.max(...row);
      const exps = row.map((v) => Math.exp(v - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      return exps.map((e) => e / sum);
    });
    expect(maxAbsDiff(probabilitiesOf(predictions, ['NEGATIVE', 'POSITIVE']), expected)).toBeLessThan(1e-4);
    expect(usage.inputTokens).toBeGreaterThan(texts.length * 3);
  });

  it('labels the sentences the head was fitted on as expected', async () => {
    const { predictions } = await model.run({ text: sentimentExamples.map((e) => e.text) });
    const wanted = sentimentExamples.map((e) => (e.label === 1 ? 'POSITIVE' : 'NEGATIVE'));
    expect(predictions.map((p) => p.label)).toEqual(wanted);
  });

  it('accepts one string and returns one prediction', async () => {
    const { predictions } = await model.run({ text: 'This product is good.' });
    expect(predictions).toHaveLength(1);
  });

  it('rejects feature rows for a text model', async () => {
    const error = await model.run({ rows: [[1, 2]] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(/classifies text; pass \{ text \}/);
  });
});

describe('micro-batching of classification', () => {
  const texts = [
    'I love this movie.',
    'bad',
    'It was terrible, boring and full of bad ideas.',
    'Thank you.',
    'ok',
  ];

  it('runs concurrent calls as one run whose results equal unbatched runs within 1e-5', async () => {
    const batched = await loadInferred('classification', fixture('tiny-bert-sentiment'), {
      batching: { windowMs: 5, maxBatch: 32 },
    });
    const alone = await loadInferred('classification', fixture('tiny-bert-sentiment'), { batching: false });
    const together = await Promise.all(texts.map((text) => batched.run({ text })));
    expect(batched.describe().runs).toBe(1);
    for (let i = 0; i < texts.length; i++) {
      const single = await alone.run({ text: texts[i]! });
      expect(together[i]!.predictions[0]!.label).toBe(single.predictions[0]!.label);
      const a = Object.values(together[i]!.predictions[0]!.scores);
      const b = Object.values(single.predictions[0]!.scores);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    }
    expect(alone.describe().runs).toBe(texts.length);
    await Promise.all([batched.dispose(), alone.dispose()]);
  });

  it('puts at most maxBatch items in one run', async () => {
    const model = await loadInferred('classification', fixture('iris-classifier'), {
      batching: { windowMs: 5, maxBatch: 2 },
    });
    const results = await Promise.all(rows.map((row) => model.run({ rows: [row] })));
    const expected = irisForward(trainIris(), rows).labels.map((i) => names[i]);
    expect(results.map((r) => r.predictions[0]!.label)).toEqual(expected);
    expect(model.describe().runs).toBe(2);
    await model.dispose();
  });

  it('drops a request aborted while it waits for its batch', async () => {
    const model = await loadInferred('classification', fixture('iris-classifier'), {
      batching: { windowMs: 30, maxBatch: 32 },
    });
    const controller = new AbortController();
    const kept = model.run({ rows: [rows[0]!] });
    const dropped = model.run({ rows: [rows[1]!, rows[2]!] }, { signal: controller.signal });
    controller.abort();
    await expect(dropped).rejects.toMatchObject({ code: 'abort' });
    const { predictions } = await kept;
    expect(predictions).toHaveLength(1);
    expect(model.describe().runs).toBe(1);
    await model.dispose();
  });
});
