import { describe, expect, it } from 'vitest';
import { predictWire } from '../../../src/protocols/index.ts';

const { decodePredictions, isSingleItem, predictProtocol } = predictWire;

const mapping = predictProtocol.tasks.classification;
const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [7.7, 2.6, 6.9, 2.3],
];
const predictions = [
  { label: 'setosa', score: 0.9, scores: { setosa: 0.9, virginica: 0.1 } },
  { label: 'virginica', score: 0.8, scores: { setosa: 0.2, virginica: 0.8 } },
];

describe('predict classification mapping', () => {
  it('round-trips rows through the request body', () => {
    expect(mapping.decodeRequest(mapping.encodeRequest({ rows }, {}), {})).toEqual({ rows });
  });

  it('round-trips texts through the request body', () => {
    const body = mapping.encodeRequest({ text: ['good', 'bad'] }, {});
    expect(body).toEqual({ text: ['good', 'bad'] });
    expect(mapping.decodeRequest(body, {})).toEqual({ text: ['good', 'bad'] });
  });

  it('reads a bare row as one item and answers it with values, not arrays', () => {
    const body = { data: rows[0]! };
    expect(isSingleItem(body)).toBe(true);
    expect(mapping.decodeRequest(body, {})).toEqual({ rows: [rows[0]] });
    const answer = mapping.encodeResponse({ predictions: [predictions[0]!], usage: {} }, { single: true });
    expect(answer).toEqual({ prediction: 'setosa', confidence: 0.9, scores: predictions[0]!.scores });
  });

  it('writes one item bare for single-row APIs and reads it back as one row', () => {
    const body = mapping.encodeRequest({ rows: [rows[0]!] }, { single: true });
    expect(body).toEqual({ data: rows[0] });
    expect(mapping.decodeRequest(body, {})).toEqual({ rows: [rows[0]] });
    expect(mapping.encodeRequest({ text: ['good'] }, { single: true })).toEqual({ text: 'good' });
  });

  it('round-trips many predictions through the response body', () => {
    const body = mapping.encodeResponse({ predictions, usage: {} }, {});
    expect(mapping.decodeResponse(body, {})).toEqual({ predictions, usage: {} });
  });

  it('round-trips one prediction answered as values', () => {
    const body = mapping.encodeResponse({ predictions: [predictions[1]!], usage: {} }, { single: true });
    expect(mapping.decodeResponse(body, {}).predictions).toEqual([predictions[1]]);
  });

  it('names class indexes through labels and scores the label with its confidence', () => {
    const decoded = decodePredictions({ prediction: [2, 0], confidence: [0.7, 0.6] }, 2, {
      labels: ['setosa', 'versicolor', 'virginica'],
    });
    expect(decoded).toEqual([
      { label: 'virginica', score: 0.7, scores: { virginica: 0.7 } },
      { label: 'setosa', score: 0.6, scores: { setosa: 0.6 } },
    ]);
  });

  it('refuses an answer with fewer predictions than items', () => {
    expect(() => decodePredictions({ prediction: ['a'], confidence: [1] }, 2)).toThrow(
      /sent 1 prediction values for 2 items/,
    );
  });

  it('refuses a class index that labels do not name', () => {
    expect(() => decodePredictions({ prediction: 5, confidence: 1 }, 1, { labels: ['a'] })).toThrow(
      /class 5, which has no name in labels/,
    );
  });

  it('refuses a prediction without any score, pointing at the response option', () => {
    expect(() => decodePredictions({ prediction: 'a' }, 1)).toThrow(/declare `response`/);
  });
});
