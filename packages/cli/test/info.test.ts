import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';
import { mlkit, requireBuild } from './mlkit.ts';

beforeAll(() => {
  requireBuild();
  ensureFixtures();
});

describe('mlkit info', () => {
  it('--json gives the task, signature, device, files and capabilities of tiny-bert', async () => {
    const { code, stdout } = await mlkit(['info', `onnx:${fixturePath('tiny-bert')}`, '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.task).toBe('embedding');
    expect(info.local).toBe(true);
    expect(info.device).toBe('cpu');
    expect(info.inputs.map((input: { name: string }) => input.name)).toContain('input_ids');
    expect(info.outputs.length).toBeGreaterThan(0);
    expect(info.files.map((file: { path: string }) => file.path)).toContain('onnx/model.onnx');
    expect(info.files.every((file: { bytes: number }) => file.bytes > 0)).toBe(true);
    expect(info.capabilities.batching).toBe(true);
  });

  it('prints the same for a terminal, one section each', async () => {
    const { code, stdout } = await mlkit(['info', `onnx:${fixturePath('iris-classifier-logits')}`]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^task {4}classification$/m);
    expect(stdout).toMatch(/^inputs\n {2}\S+: float32\[/m);
    expect(stdout).toMatch(/^files\n {2}config\.json \(/m);
  });
});
