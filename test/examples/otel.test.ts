// examples/otel/main.ts as a user runs it: a local call's spans printed by the ConsoleSpanExporter.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, repoRoot } from '../fixtures/paths.ts';
import { type ExampleRun, runExample } from './run-example.ts';

describe('examples/otel: spans of a local model call on the console', () => {
  let example: ExampleRun;

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist/otel/index.js'))) {
      throw new Error(
        'dist/otel/index.js is missing: the example runs the built @mlkit/core/otel; run `npm run build` first',
      );
    }
    ensureFixtures();
    example = await runExample('otel');
  }, 90_000);

  it('exits 0 after a run and a stream', () => {
    expect(example.code, example.stderr).toBe(0);
    expect(example.stdout).toMatch(/^run: \d+ tokens, finish (stop|length)$/m);
    expect(example.stdout).toMatch(/^stream: \d+ chunks$/m);
  });

  it('prints two spans "chat tiny-gpt" whose attributes name the operation, provider and model', () => {
    expect(example.stdout.match(/name: 'chat tiny-gpt'/g)).toHaveLength(2);
    expect(example.stdout.match(/'gen_ai\.operation\.name': 'chat'/g)).toHaveLength(2);
    expect(example.stdout).toContain("'gen_ai.provider.name': 'onnx'");
    expect(example.stdout).toMatch(/'gen_ai\.usage\.output_tokens': \d+/);
  });

  it("prints the stream's flag and time to first chunk", () => {
    expect(example.stdout).toContain("'gen_ai.request.stream': true");
    expect(example.stdout).toMatch(/'gen_ai\.response\.time_to_first_chunk': [\d.e-]+/);
  });
});
