// examples/serve-and-call/main.ts (`./dev demo`) as a user runs it: load, serve, call, shut down.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures } from '../fixtures/paths.ts';
import { type ExampleRun, runExample } from './run-example.ts';

describe('examples/serve-and-call: the main job end to end', () => {
  let example: ExampleRun;
  const line = (prefix: string) => example.stdout.split('\n').find((l) => l.startsWith(prefix));

  beforeAll(async () => {
    ensureFixtures();
    example = await runExample('serve-and-call');
  }, 90_000);

  it('exits 0 and reports no failure', () => {
    expect(example.code, example.stderr).toBe(0);
    expect(example.stderr).not.toMatch(/error|failed/i);
  });

  it('loads the three fixture models with their tasks', () => {
    expect(line('loaded iris:')).toContain('classification on cpu');
    expect(line('loaded tiny-bert:')).toContain('embedding on cpu');
    expect(line('loaded tiny-gpt:')).toContain('text-generation on cpu');
  });

  it('serves on 127.0.0.1 behind a key it never prints', () => {
    expect(line('serving iris, tiny-bert, tiny-gpt on http://127.0.0.1:')).toContain(
      'API key: generated, not shown',
    );
    expect(`${example.stdout}${example.stderr}`).not.toMatch(/sk-mlkit-/);
  });

  it('calls chat, stream and embeddings with the mlkit client', () => {
    expect(line('models:')).toBe('models: iris, tiny-bert, tiny-gpt');
    expect(line('chat:')).toMatch(/\(finishReason (stop|length), \d+ in \/ \d+ out tokens\)$/);
    expect(line('stream:')).toMatch(/^stream: \d+ deltas, same text as chat$/);
    expect(line('embeddings:')).toMatch(/^embeddings: 2 x 32 dimensions, cosine/);
  });

  it('classifies iris rows over /predict and OIP v2 infer alike', () => {
    expect(line('predict:')).toMatch(/^predict: setosa, virginica \(confidence/);
    expect(line('oip v2 infer:')).toMatch(/label = setosa, virginica$/);
  });

  it.runIf(existsSync('/usr/bin/curl'))('calls the server with curl', () => {
    expect(line('curl models:')).toBe('curl models: iris, tiny-bert, tiny-gpt');
    expect(line('curl predict:')).toMatch(/^curl predict: setosa \(confidence/);
  });

  it.skipIf(existsSync('/usr/bin/curl'))(
    'skips curl with a note when /usr/bin/curl is missing (curl is installed here)',
    () => {
      expect(line('curl skipped:')).toContain('/usr/bin/curl is not installed');
    },
  );

  it('shuts the server down gracefully as its last step', () => {
    expect(example.stdout.trimEnd().split('\n').at(-1)).toBe(
      'server closed: requests drained, models disposed',
    );
  });
});
