import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import { fakeClassifier, fakeEmbeddingModel, postJson, predictRow, predictText } from './fakes.ts';

describe('POST /predict/{name}', () => {
  const server = createServer({ models: { iris: fakeClassifier().model, bert: fakeEmbeddingModel().model } });

  it('answers one row with one prediction, its confidence and every score', async () => {
    const response = await postJson(server, '/predict/iris', { data: [5.1, 3.5, 1.4, 0.2] });
    expect(response.status).toBe(200);
    const expected = predictRow([5.1, 3.5, 1.4, 0.2]);
    expect(await response.json()).toEqual({
      prediction: expected.label,
      confidence: expected.score,
      scores: expected.scores,
    });
  });

  it('answers many rows with arrays in row order', async () => {
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [7.7, 2.6, 6.9, 2.3],
      [6.0, 2.2, 4.0, 1.0],
    ];
    const body = await (await postJson(server, '/predict/iris', { data: rows })).json();
    expect(body.prediction).toEqual(rows.map((row) => predictRow(row).label));
    expect(body.confidence).toEqual(rows.map((row) => predictRow(row).score));
    expect(body.scores).toHaveLength(3);
  });

  it('classifies {"text": ...} as one item and {"text": [...]} as many', async () => {
    const one = await (await postJson(server, '/predict/iris', { text: 'I love it, great' })).json();
    expect(one.prediction).toBe(predictText('I love it, great').label);
    const many = await (await postJson(server, '/predict/iris', { text: ['bad', 'good'] })).json();
    expect(many.prediction).toEqual(['NEGATIVE', 'POSITIVE']);
  });

  it('answers 400 naming the paths of a body that fits no shape', async () => {
    const response = await postJson(server, '/predict/iris', { data: [[1, 'x']] });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.code).toBe('invalid_input');
    expect(body.issues[0].path).toMatch(/^body\.data\[0\]/);
  });

  it('answers 400 for a model that does not classify, naming one that does', async () => {
    const response = await postJson(server, '/predict/bert', { data: [1] });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain('(served: "iris")');
  });
});
