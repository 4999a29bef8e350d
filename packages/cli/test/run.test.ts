import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';
import { mlkit, requireBuild } from './mlkit.ts';

const iris = `onnx:${fixturePath('iris-classifier-logits')}`;
const gpt = `onnx:${fixturePath('tiny-gpt')}`;
const bert = `onnx:${fixturePath('tiny-bert')}`;

beforeAll(() => {
  requireBuild();
  ensureFixtures();
});

describe('mlkit run', () => {
  it('classifies JSON rows and prints one label per row', async () => {
    const { code, stdout } = await mlkit([
      'run',
      iris,
      '{"rows": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^0: setosa \([\d.]+\)\n1: virginica \([\d.]+\)\n$/);
  });

  it('--json prints the task output as JSON', async () => {
    const { code, stdout } = await mlkit(['run', iris, '{"rows": [[5.1, 3.5, 1.4, 0.2]]}', '--json']);
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.predictions).toHaveLength(1);
    expect(output.predictions[0].label).toBe('setosa');
    expect(Object.keys(output.predictions[0].scores).sort()).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('reads the input from stdin with "-", plain text as the text to embed', async () => {
    const { code, stdout } = await mlkit(['run', bert, '-', '--json'], { stdin: 'a sentence to embed\n' });
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.embeddings).toHaveLength(1);
    expect(output.embeddings[0]).toHaveLength(output.dimensions);
  });

  it('streams generated text that equals the --json answer at temperature 0', async () => {
    const input = '{"prompt": "Hello", "maxTokens": 12, "temperature": 0}';
    const streamed = await mlkit(['run', gpt, input]);
    const answered = await mlkit(['run', gpt, input, '--json']);
    expect(streamed.code).toBe(0);
    expect(answered.code).toBe(0);
    const { text, finishReason } = JSON.parse(answered.stdout);
    expect(streamed.stdout).toBe(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    expect(streamed.stderr).toContain(finishReason === 'stop' ? '' : `[finish: ${finishReason}]`);
  });

  it('plain text is the prompt of a text-generation model', async () => {
    const { code, stdout } = await mlkit(['run', gpt, '--json'], { stdin: 'Once upon a time' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).usage.inputTokens).toBeGreaterThan(0);
  });

  it('--task that the model cannot run exits 1 with the load error that says why', async () => {
    const { code, stderr } = await mlkit(['run', iris, '{"rows": [[1, 2, 3, 4]]}', '--task', 'embedding']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mlkit run: ModelLoadError: .*an embedding model needs/);
  });

  it('--task that is no task exits 2 and lists the tasks', async () => {
    const { code, stderr } = await mlkit(['run', iris, '{}', '--task', 'translation']);
    expect(code).toBe(2);
    expect(stderr).toContain('--task must be one of text-generation, embedding, classification, tensor');
  });

  it('a missing model folder exits 1 with the load error', async () => {
    const { code, stderr } = await mlkit(['run', 'onnx:./no/such/model', 'hi']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mlkit run: ModelLoadError: /);
  });

  it('invalid JSON input exits 1 and says to pass JSON or plain text', async () => {
    const { code, stderr } = await mlkit(['run', iris, '{"rows": [[1, 2']);
    expect(code).toBe(1);
    expect(stderr).toContain('not valid JSON');
  });

  it('a --config file is a model configuration', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'mlkit-cli-')), 'model.json');
    writeFileSync(config, JSON.stringify({ model: iris, cache: { ttlMs: 60_000 } }));
    const { code, stdout } = await mlkit(['run', '--config', config, '{"rows": [[5.1, 3.5, 1.4, 0.2]]}']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^setosa \(/);
  });
});
