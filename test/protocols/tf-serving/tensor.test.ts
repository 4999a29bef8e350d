import { describe, expect, it } from 'vitest';
import { InvalidInputError, type Tensor } from '../../../src/index.ts';
import { tfServingWire } from '../../../src/protocols/index.ts';

const { tensorMapping, classificationMapping, toJsonValue, fromJsonValue } = tfServingWire;

const x: Tensor = { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
const tag: Tensor = { dtype: 'string', shape: [2], data: ['foo', 'bar'] };

describe('TF Serving tensor mapping', () => {
  it('writes one input in row form as bare instances (the docs example shape)', () => {
    expect(tensorMapping.encodeRequest({ inputs: { x } }, {})).toEqual({
      instances: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
  });

  it('writes several inputs in row form as one object per instance', () => {
    expect(tensorMapping.encodeRequest({ inputs: { x, tag } }, { signatureName: 'serving_default' })).toEqual(
      {
        signature_name: 'serving_default',
        instances: [
          { x: [1, 2, 3], tag: 'foo' },
          { x: [4, 5, 6], tag: 'bar' },
        ],
      },
    );
  });

  it('refuses row form for inputs of different first dimensions, pointing at columnar', () => {
    const one: Tensor = { dtype: 'float32', shape: [1], data: Float32Array.from([1]) };
    expect(() => tensorMapping.encodeRequest({ inputs: { x, one } }, {})).toThrow(InvalidInputError);
    expect(() => tensorMapping.encodeRequest({ inputs: { x, one } }, {})).toThrow(/format: 'columnar'/);
  });

  it('round-trips named tensors through the columnar request', () => {
    const context = { format: 'columnar' as const, dtypes: { x: 'float32' as const } };
    const body = tensorMapping.encodeRequest({ inputs: { x, tag } }, context);
    expect(tensorMapping.decodeRequest(body, context)).toEqual({ inputs: { x, tag } });
  });

  it('round-trips named tensors through the row request', () => {
    const body = tensorMapping.encodeRequest({ inputs: { x, tag } }, {});
    expect(tensorMapping.decodeRequest(body, {})).toEqual({ inputs: { x, tag } });
  });

  it('round-trips a lone output through each response form under its given name', () => {
    for (const format of ['row', 'columnar'] as const) {
      const body = tensorMapping.encodeResponse({ outputs: { y: x }, usage: {} }, { format });
      expect(tensorMapping.decodeResponse(body, { format, outputName: 'y' })).toEqual({
        outputs: { y: x },
        usage: {},
      });
    }
  });

  it('round-trips several outputs through the row response', () => {
    const body = tensorMapping.encodeResponse({ outputs: { y: x, tag }, usage: {} }, {});
    expect(tensorMapping.decodeResponse(body, {}).outputs).toEqual({ y: x, tag });
  });

  it('sends strings of a `_bytes` tensor as {b64} and reads them back', () => {
    const image: Tensor = { dtype: 'string', shape: [2], data: ['image bytes', 'awesome image bytes'] };
    const body = tensorMapping.encodeRequest({ inputs: { image_bytes: image } }, { format: 'columnar' });
    // The two values of the TF Serving docs' "Encoding binary values" example.
    expect(body).toEqual({
      inputs: { image_bytes: [{ b64: 'aW1hZ2UgYnl0ZXM=' }, { b64: 'YXdlc29tZSBpbWFnZSBieXRlcw==' }] },
    });
    expect(tensorMapping.decodeRequest(body, {}).inputs).toEqual({ image_bytes: image });
  });

  it('reads integers as int64 BigInts when the dtype says so', () => {
    expect(fromJsonValue('ids', [[1, 2]], 'int64')).toEqual({
      dtype: 'int64',
      shape: [1, 2],
      data: BigInt64Array.from([1n, 2n]),
    });
  });

  it('refuses an int64 beyond 2^53, which JSON numbers cannot carry', () => {
    const big: Tensor = { dtype: 'int64', shape: [1], data: BigInt64Array.from([2n ** 60n]) };
    expect(() => toJsonValue('ids', big)).toThrow(/beyond/);
  });

  it('refuses a ragged list as a tensor', () => {
    expect(() => fromJsonValue('y', [[1, 2], [3]])).toThrow(/ragged/);
  });
});

describe('TF Serving classification mapping', () => {
  const labels = ['setosa', 'versicolor', 'virginica'];
  const predictions = [
    { label: 'versicolor', score: 0.7, scores: { setosa: 0.1, versicolor: 0.7, virginica: 0.2 } },
    { label: 'setosa', score: 0.8, scores: { setosa: 0.8, versicolor: 0.15, virginica: 0.05 } },
  ];

  it('round-trips rows through both request forms, bare or under an input name', () => {
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.0, 2.2, 4.0, 1.0],
    ];
    for (const context of [{}, { inputName: 'x' }, { format: 'columnar' as const, inputName: 'x' }]) {
      expect(
        classificationMapping.decodeRequest(classificationMapping.encodeRequest({ rows }, context), context),
      ).toEqual({
        rows,
      });
    }
  });

  it('round-trips predictions through both response forms', () => {
    for (const context of [
      { labels },
      { labels, format: 'columnar' as const, scoresOutput: 'probabilities' },
    ]) {
      const body = classificationMapping.encodeResponse({ predictions, usage: {} }, context);
      expect(classificationMapping.decodeResponse(body, context).predictions).toEqual(predictions);
    }
  });

  it('finds the scores among several named outputs', () => {
    const body = { predictions: [{ classes: 1, probabilities: [0.1, 0.7, 0.2] }] };
    expect(classificationMapping.decodeResponse(body, { labels }).predictions[0]!.label).toBe('versicolor');
  });

  it('names classes by index without labels', () => {
    const body = { predictions: [[0.2, 0.8]] };
    expect(classificationMapping.decodeResponse(body, {}).predictions[0]).toEqual({
      label: '1',
      score: 0.8,
      scores: { 0: 0.2, 1: 0.8 },
    });
  });

  it('refuses scores that do not match the labels', () => {
    expect(() => classificationMapping.decodeResponse({ predictions: [[0.5, 0.5]] }, { labels })).toThrow(
      /2 class scores for 3 labels/,
    );
  });
});
