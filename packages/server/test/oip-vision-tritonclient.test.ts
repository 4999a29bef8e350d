// NVIDIA's Python tritonclient (from PyPI, in .venv via scripts/setup.sh --python) calling the
// server's vision models: UINT8 pixels (binary and JSON) and PNG files as raw BYTES elements.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/fixtures/paths.ts';
import { fakeClassifier, fakeDetector, png } from './vision-models.ts';

const python = join(repoRoot, '.venv', 'bin', 'python');
const script = join(import.meta.dirname, 'python', 'triton_vision.py');
const venv = existsSync(python);
// Under CI a missing venv is a failure, not a skip: the suite must not pass without running.
const inCI = process.env.CI === 'true';
const suite = venv || inCI ? describe : describe.skip;

type Case = { case: string; outputs: Record<string, { shape: number[]; values: unknown[] }> };

suite('tritonclient against the vision models', () => {
  let listening: Listening;
  let cases: Map<string, Case>;
  let directory: string;
  const classifier = fakeClassifier();

  beforeAll(async () => {
    if (!venv) throw new Error(`${python} is missing: run scripts/setup.sh --python`);
    directory = mkdtempSync(join(tmpdir(), 'mlkit-triton-vision-'));
    const file = join(directory, 'cat.png');
    writeFileSync(file, png(77));
    const server = createServer({ models: { vit: classifier.model, detr: fakeDetector().model } });
    listening = await listen(server, { port: 0, host: '127.0.0.1' });
    const { stdout } = await promisify(execFile)(
      python,
      [script, `127.0.0.1:${listening.port}`, 'vit', 'detr', file],
      { timeout: 60_000 },
    );
    cases = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Case)
        .map((entry) => [entry.case, entry]),
    );
  }, 90_000);
  afterAll(async () => {
    await listening?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it.each(['pixels-binary', 'pixels-json'])('%s: UINT8 [2, 3, 4, 3] pixels, top_k 1', (name) => {
    expect(cases.get(name)!.outputs).toEqual({
      labels: { shape: [2, 1], values: ['pixels-4x3x3', 'pixels-4x3x3'] },
      scores: { shape: [2, 1], values: [0.75, 0.75] },
    });
  });

  it('file-binary: a PNG as one raw BYTES element reaches the model byte for byte', () => {
    expect(cases.get('file-binary')!.outputs.labels!.values).toEqual(['png-77', 'other']);
    const bytes = classifier.seen.find((image) => image instanceof Uint8Array) as Uint8Array;
    expect([...bytes]).toEqual([...png(77)]);
  });

  it('detect: boxes [1, 1, 4], scores, labels and detection_count', () => {
    expect(cases.get('detect')!.outputs).toEqual({
      boxes: { shape: [1, 1, 4], values: [1, 2, 3, 4] },
      scores: { shape: [1, 1], values: [0.9] },
      labels: { shape: [1, 1], values: ['png-77'] },
      detection_count: { shape: [1], values: [1] },
    });
  });
});
