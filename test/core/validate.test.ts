import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.ts';
import { classification, embedding, tensor, textGeneration } from '../../src/tasks/index.ts';
import { parseInput } from '../../src/validate.ts';

function invalid(schema: Parameters<typeof parseInput>[0], value: unknown): InvalidInputError {
  try {
    parseInput(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the input to be rejected');
}

describe('input validation', () => {
  it('names the path, the expectation and the given value', () => {
    const error = invalid(textGeneration.input, { messages: [{ role: 'bot', content: 'hi' }] });
    expect(error.issues[0]!.path).toBe('input.messages[0].role');
    expect(error.message).toContain('input.messages[0].role');
    expect(error.message).toContain('"bot"');
    expect(error.message).toMatch(/system|user|assistant/);
  });

  it('reports the closest union branch instead of a bare "Invalid input"', () => {
    const error = invalid(textGeneration.input, { prompt: 'hi', maxTokens: 0 });
    expect(error.issues.map((i) => i.path)).toEqual(['input.maxTokens']);
  });

  it('rejects unknown keys by name', () => {
    const error = invalid(embedding.input, { texts: ['a'], dimension: 3 });
    expect(error.message).toContain('"dimension"');
  });

  it('accepts valid inputs of every task', () => {
    expect(parseInput(textGeneration.input, { prompt: 'hi', stop: ['\n'], seed: 1 })).toMatchObject({
      prompt: 'hi',
    });
    expect(parseInput(classification.input, { rows: [[1, 2]] })).toEqual({ rows: [[1, 2]] });
    expect(parseInput(classification.input, { text: ['a', 'b'] })).toEqual({ text: ['a', 'b'] });
    const t = { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 2n]) };
    // Tensor data passes through without a copy.
    expect(parseInput(tensor.input, { inputs: { ids: t } }).inputs.ids!.data).toBe(t.data);
  });

  it('checks tensor data length against the shape and the array type against the dtype', () => {
    const short = invalid(tensor.input, {
      inputs: { x: { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) } },
    });
    expect(short.message).toContain('input.inputs.x.data');
    expect(short.message).toContain('needs 4');
    const wrongArray = invalid(tensor.input, {
      inputs: { x: { dtype: 'int64', shape: [1], data: new Int32Array(1) } },
    });
    expect(wrongArray.issues[0]!.path).toBe('input.inputs.x.data');
  });
});
