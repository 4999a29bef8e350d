// examples/swap/main.ts as a user runs it: one code path, a hosted and a local configuration.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures } from '../fixtures/paths.ts';
import { type ExampleRun, runExample } from './run-example.ts';

interface SwapResult {
  config: string;
  model: string;
  embeddingModel: string | null;
  run: { text: string; finishReason: string; usage: Record<string, number | null> };
  stream: { text: string; finishReason: string; usage: Record<string, number | null>; deltas: number };
  embeddings: { count: number; dimensions: number; head: number[] } | null;
}

/** Every key path of a JSON value with the type at its end: the value's shape. */
function shapeOf(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [`${path}: array`];
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => shapeOf(inner, path ? `${path}.${key}` : key));
  }
  return [`${path}: ${value === null ? 'null' : typeof value}`];
}

describe('examples/swap: one code path, hosted or local by configuration', () => {
  let example: ExampleRun;
  let results: SwapResult[];

  beforeAll(async () => {
    ensureFixtures();
    example = await runExample('swap', { MLKIT_MODEL: undefined, MLKIT_EMBEDDING_MODEL: undefined });
    results = example.stdout
      .split('\n')
      .filter((line) => line.startsWith('RESULT '))
      .map((line) => JSON.parse(line.slice('RESULT '.length)) as SwapResult);
  }, 90_000);

  it('exits 0 and prints one RESULT line per configuration, hosted then local', () => {
    expect(example.code, example.stderr).toBe(0);
    expect(results.map((r) => r.config)).toEqual(['hosted', 'local']);
  });

  it('differs only in the configuration strings: openai-compatible: against the server, onnx: folders locally', () => {
    const [hosted, local] = results as [SwapResult, SwapResult];
    expect(hosted.model).toBe('openai-compatible:tiny-gpt');
    expect(hosted.embeddingModel).toBe('openai-compatible:tiny-bert');
    expect(local.model).toMatch(/^onnx:.*tiny-gpt$/);
    expect(local.embeddingModel).toMatch(/^onnx:.*tiny-bert$/);
    expect(example.stdout).toContain('[hosted] MLKIT_BASE_URL=http://127.0.0.1:');
    expect(example.stdout).toContain('[local] MLKIT_BASE_URL=(unset)');
  });

  it('prints results of the same shape for both configurations', () => {
    const [hosted, local] = results as [SwapResult, SwapResult];
    expect(shapeOf(local)).toEqual(shapeOf(hosted));
    for (const result of results) {
      expect(result.run.text.length).toBeGreaterThan(0);
      expect(result.run.usage.inputTokens).toBeGreaterThan(0);
      expect(result.run.usage.outputTokens).toBeGreaterThan(0);
      expect(result.stream.deltas).toBeGreaterThan(1);
      expect(result.embeddings).toMatchObject({ count: 3, dimensions: 32 });
    }
  });

  it('gives greedy local output equal to the hosted output served from the same model', () => {
    const [hosted, local] = results as [SwapResult, SwapResult];
    expect(local.run).toEqual(hosted.run);
    expect(local.stream).toEqual(hosted.stream);
    expect(local.stream.text).toBe(local.run.text);
    local.embeddings!.head.forEach((value, i) => {
      expect(Math.abs(value - hosted.embeddings!.head[i]!)).toBeLessThanOrEqual(1e-6);
    });
    expect(example.stdout).toContain('greedy text identical: yes');
  });

  it('never prints the generated API key', () => {
    expect(example.stdout).toContain('MLKIT_API_KEY=(set, not shown)');
    expect(`${example.stdout}${example.stderr}`).not.toMatch(/sk-demo-[0-9a-f]/);
  });
});
