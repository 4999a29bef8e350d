import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';
import { mlkit, requireBuild } from './mlkit.ts';

const apiKey = 'sk-compare-test';
const prompts = ['Hello', 'Write a haiku', 'Name a colour', 'Plan a trip', 'Say yes'];
const pricing = {
  hosted: { usdPerRequest: 0.002 },
  local: { usdPerRequest: 0.0005, usdPerMonth: 300 },
};
let server: Listening;
let folder: string;
let data: string;
let pricingFile: string;

beforeAll(async () => {
  requireBuild();
  ensureFixtures();
  // The stand-in for a hosted API: tiny-gpt behind @mlkit/server's OpenAI-compatible routes.
  const model = await loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' });
  server = await listen(createServer({ models: { 'tiny-gpt': model }, apiKeys: [apiKey] }), {
    port: 0,
    host: '127.0.0.1',
  });
  folder = mkdtempSync(join(tmpdir(), 'mlkit-compare-'));
  data = join(folder, 'prompts.jsonl');
  writeFileSync(
    data,
    `${prompts.map((prompt) => JSON.stringify({ prompt, maxTokens: 6, temperature: 0 })).join('\n')}\n`,
  );
  pricingFile = join(folder, 'pricing.json');
  writeFileSync(pricingFile, JSON.stringify(pricing));
});

afterAll(async () => {
  await server?.close({ graceMs: 1000, drainDelayMs: 0 });
});

/** `mlkit compare local=onnx:tiny-gpt hosted=openai-compatible:tiny-gpt` against the loopback server. */
function compareLocalAndHosted(...flags: string[]) {
  return mlkit(
    [
      'compare',
      `local=onnx:${fixturePath('tiny-gpt')}`,
      'hosted=openai-compatible:tiny-gpt',
      '--data',
      data,
      '--pricing',
      pricingFile,
      '--concurrency',
      '2',
      ...flags,
    ],
    { env: { MLKIT_BASE_URL: `${server.url}/v1`, MLKIT_API_KEY: apiKey } },
  );
}

describe('mlkit compare', () => {
  it('--json: every model answered every line, and the same model agrees with itself', async () => {
    const { code, stdout, stderr } = await compareLocalAndHosted('--json');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.task).toBe('text-generation');
    expect(report.inputs).toBe(prompts.length);
    expect(report.baseline).toBe('local');
    expect(report.models.map((row: { name: string }) => row.name)).toEqual(['local', 'hosted']);
    for (const row of report.models) {
      expect(row.calls).toBe(prompts.length);
      expect(row.errors).toBe(0);
      expect(row.p50Ms).toBeLessThanOrEqual(row.p95Ms);
      expect(row.callsPerSecond).toBeGreaterThan(0);
    }
    const [local, hosted] = report.models;
    expect(local.selfRun).toBe(true);
    expect(hosted.selfRun).toBe(false);
    expect(local.agreement).toBeNull();
    expect(hosted.agreement).toBe(1);
    expect(hosted.agreementCalls).toBe(prompts.length);
  });

  it('--json: cost per 1K calls and the break-even volume follow from the pricing file', async () => {
    const { code, stdout } = await compareLocalAndHosted('--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const [local, hosted] = report.models;
    expect(hosted.usdPer1kCalls).toBeCloseTo(1000 * pricing.hosted.usdPerRequest, 9);
    expect(local.usdPer1kCalls).toBeCloseTo(1000 * pricing.local.usdPerRequest, 9);
    expect(report.breakEven).toHaveLength(1);
    const [even] = report.breakEven;
    expect(even).toMatchObject({ hosted: 'hosted', selfRun: 'local', selfRunUsdPerMonth: 300 });
    expect(even.callsPerMonth).toBe(Math.floor(300 / (even.hostedUsdPerCall - even.selfRunUsdPerCall)) + 1);
    expect(even.callsPerMonth).toBeGreaterThan(199_000);
    expect(even.callsPerMonth).toBeLessThan(201_000);
  });

  it('prints a side-by-side table with one row per model and the break-even line', async () => {
    const { code, stdout } = await compareLocalAndHosted();
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('model '));
    expect(lines[header]).toMatch(/p50 ms +p95 ms +calls\/s +USD\/1K calls +agreement/);
    expect(lines[header + 2]).toMatch(/^local +5 +0 .* 0\.500 +baseline$/);
    expect(lines[header + 3]).toMatch(/^hosted +5 +0 .* 2\.00 +1 \(5\)$/);
    expect(stdout).toMatch(/Break-even: local vs hosted: self-running is cheaper from [\d,]+ calls a month/);
  });

  it('--markdown prints the table as Markdown', async () => {
    const { code, stdout } = await compareLocalAndHosted('--markdown');
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((line) => line.startsWith('|'));
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatch(/^\| --- \| ---: \|/);
    expect(rows[3]).toMatch(/^\| hosted \| 5 \| 0 \|/);
  });

  it('embeddings agree by mean cosine: a model with itself is 1', async () => {
    const texts = join(folder, 'texts.jsonl');
    writeFileSync(texts, '"a first sentence"\n"another one"\n{"texts": ["two", "at once"]}\n');
    const bert = `onnx:${fixturePath('tiny-bert')}`;
    const { code, stdout } = await mlkit(['compare', `a=${bert}`, `b=${bert}`, '--data', texts, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.agreementMeasure).toBe('mean embedding cosine');
    expect(report.models[1].agreement).toBeCloseTo(1, 5);
    expect(report.breakEven).toEqual([]);
  });

  it('a pricing entry for no model exits 2 and names the models', async () => {
    const typo = join(folder, 'typo.json');
    writeFileSync(typo, JSON.stringify({ hostd: { usdPerRequest: 1 } }));
    const gpt = `onnx:${fixturePath('tiny-gpt')}`;
    const { code, stderr } = await mlkit([
      'compare',
      `local=${gpt}`,
      `hosted=${gpt}`,
      '--data',
      data,
      '--pricing',
      typo,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('"hostd" is none of the models (local, hosted)');
  });

  it('errors are counted per model, not fatal', async () => {
    const { code, stdout } = await mlkit(
      [
        'compare',
        `local=onnx:${fixturePath('tiny-gpt')}`,
        'hosted=openai-compatible:tiny-gpt',
        '--data',
        data,
        '--json',
      ],
      { env: { MLKIT_BASE_URL: `${server.url}/v1`, MLKIT_API_KEY: 'sk-wrong' } },
    );
    expect(code).toBe(0);
    const [local, hosted] = JSON.parse(stdout).models;
    expect(local.errors).toBe(0);
    expect(hosted.errors).toBe(prompts.length);
    expect(hosted.firstError).toMatch(/401|key/i);
    expect(hosted.p50Ms).toBeNull();
  });
});
