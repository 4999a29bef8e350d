// NVIDIA Triton's Python client (tritonclient.http from PyPI, in .venv) as a real OIP v2 client of
// @mlkit/server serving the iris ONNX fixture on 127.0.0.1: its default request (the binary tensor
// extension both ways) and a plain JSON one (binary_data=False).
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../fixtures/paths.ts';
import { IRIS_LABELS, requireVenv, runPython, venvDescribe, venvTitle } from './peers.ts';

// Iris rows 0, 50 and 100: one clear case of each class.
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.3, 3.3, 6.0, 2.5],
];

interface DecodedOutput {
  datatype: string;
  shape: number[];
  binary: boolean;
  values: (string | number)[];
}
interface Case {
  case: 'binary' | 'json';
  input: { name: string; datatype: string };
  outputs: Record<string, DecodedOutput>;
}

venvDescribe(venvTitle('tritonclient.http against @mlkit/server'), () => {
  let listening: Listening | undefined;
  let cases: Map<string, Case>;
  let direct: { label: string; score: number; scores: Record<string, number> }[];

  beforeAll(async () => {
    requireVenv();
    ensureFixtures();
    const [served, local] = await Promise.all([
      loadModel(fixturePath('iris-classifier'), { task: 'classification' }),
      loadModel(fixturePath('iris-classifier'), { task: 'classification' }),
    ]);
    direct = (await local.run({ rows: ROWS })).predictions;
    listening = await listen(createServer({ models: { iris: served } }), { port: 0, host: '127.0.0.1' });
    const stdout = await runPython(
      'triton_client.py',
      [new URL(listening.url).host, 'iris', JSON.stringify(ROWS)],
      60_000,
    );
    cases = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Case)
        .map((c) => [c.case, c]),
    );
  }, 90_000);

  afterAll(() => listening?.close({ graceMs: 1000 }));

  it("sends the model's own input from its metadata: float_input FP32", () => {
    expect(cases.get('binary')!.input).toEqual({ name: 'float_input', datatype: 'FP32' });
  });

  it('gets the labels of model.run for its default (binary) request', () => {
    const { outputs } = cases.get('binary')!;
    expect(outputs.label!.values).toEqual(direct.map((p) => p.label));
    expect(outputs.label!.values).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('gets every output in binary for its default request, as it asks', () => {
    const { outputs } = cases.get('binary')!;
    expect(Object.keys(outputs).length).toBeGreaterThan(0);
    for (const output of Object.values(outputs)) expect(output.binary).toBe(true);
  });

  it('gets the scores and probabilities of model.run from the binary answer', () => {
    const { outputs } = cases.get('binary')!;
    expect(outputs.probabilities!.shape).toEqual([ROWS.length, IRIS_LABELS.length]);
    const probabilities = outputs.probabilities!.values as number[];
    for (const [i, prediction] of direct.entries()) {
      expect(outputs.score!.values[i]).toBeCloseTo(prediction.score, 6);
      IRIS_LABELS.forEach((label, column) => {
        expect(probabilities[i * IRIS_LABELS.length + column]).toBeCloseTo(prediction.scores[label]!, 6);
      });
    }
  });

  it('gets the same answer in JSON with binary_data=False', () => {
    const binary = cases.get('binary')!;
    const json = cases.get('json')!;
    expect(Object.keys(json.outputs)).toEqual(Object.keys(binary.outputs));
    for (const [name, output] of Object.entries(json.outputs)) {
      expect(output.binary).toBe(false);
      expect(output.values).toEqual(binary.outputs[name]!.values);
    }
    expect(json.outputs.label!.values).toEqual(['setosa', 'versicolor', 'virginica']);
  });
});
