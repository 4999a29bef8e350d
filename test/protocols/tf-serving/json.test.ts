import { describe, expect, it } from 'vitest';
import { tfServingWire } from '../../../src/protocols/index.ts';

const { parseTfServingJson, stringifyTfServingJson } = tfServingWire;

describe("TF Serving's JSON with bare NaN and infinities", () => {
  it('reads NaN, Infinity and -Infinity tokens as numbers', () => {
    expect(parseTfServingJson('{"predictions": [[1.5, NaN], [Infinity, -Infinity]]}')).toEqual({
      predictions: [
        [1.5, Number.NaN],
        [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      ],
    });
  });

  it('leaves the same words inside strings alone, escaped quotes included', () => {
    const text = '{"labels": ["NaN", "say \\"Infinity\\"", "-Infinity"], "v": NaN}';
    expect(parseTfServingJson(text)).toEqual({
      labels: ['NaN', 'say "Infinity"', '-Infinity'],
      v: Number.NaN,
    });
  });

  it('reads standard JSON as JSON.parse does', () => {
    const text = '{"outputs": {"y": [1, 2.5e3, -0.5]}, "s": "N I -"}';
    expect(parseTfServingJson(text)).toEqual(JSON.parse(text));
  });

  it('still rejects text that is not JSON', () => {
    expect(() => parseTfServingJson('{"predictions": [1, nope]}')).toThrow(SyntaxError);
  });

  it('writes non-finite numbers as bare tokens that it reads back', () => {
    const value = { outputs: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1] };
    const text = stringifyTfServingJson(value);
    expect(text).toBe('{"outputs":[NaN,Infinity,-Infinity,1]}');
    expect(parseTfServingJson(text)).toEqual(value);
  });
});
