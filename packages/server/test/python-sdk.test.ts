// The Python openai SDK from PyPI (pinned in scripts/requirements.txt, installed into .venv by
// scripts/setup.sh) against the server on 127.0.0.1: a wrong key and the Responses API.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/fixtures/paths.ts';
import { fakeChatModel, replyOf } from './fakes.ts';

const python = join(repoRoot, '.venv', 'bin', 'python');
const script = join(import.meta.dirname, 'python', 'openai_client.py');
const KEY = 'sk-python-sdk-test-key';
const venv = existsSync(python);
// Under CI a missing venv is a failure, not a skip: the suite must not pass without running.
const inCI = process.env.CI === 'true';
const suite = venv || inCI ? describe : describe.skip;
const title =
  venv || inCI
    ? 'the Python openai SDK'
    : 'the Python openai SDK (skipped: no .venv; run scripts/setup.sh --python)';

type Case = Record<string, unknown> & { case: string };

suite(title, () => {
  let listening: Listening;
  let cases: Map<string, Case>;

  beforeAll(async () => {
    if (!venv)
      throw new Error(
        `${python} is missing: run scripts/setup.sh --python (it builds .venv from scripts/requirements.txt)`,
      );
    const server = createServer({ models: { 'tiny-gpt': fakeChatModel().model }, apiKeys: [KEY] });
    listening = await listen(server, { port: 0, host: '127.0.0.1' });
    const { stdout } = await promisify(execFile)(python, [script, `${listening.url}/v1`, KEY, 'tiny-gpt'], {
      timeout: 60_000,
    });
    cases = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Case)
        .map((c) => [c.case, c]),
    );
  }, 90_000);
  afterAll(() => listening?.close({ graceMs: 1000 }));

  it('raises AuthenticationError for a wrong key, with code invalid_api_key', () => {
    expect(cases.get('wrong_key')).toEqual({
      case: 'wrong_key',
      raised: 'AuthenticationError',
      status: 401,
      code: 'invalid_api_key',
      type: 'invalid_request_error',
    });
  });

  it('parses responses.create into a completed response with output_text and usage', () => {
    expect(cases.get('responses_create')).toEqual({
      case: 'responses_create',
      object: 'response',
      status: 'completed',
      output_text: replyOf({ prompt: 'hello from python' }),
      content_types: ['output_text'],
      usage: { input_tokens: 5, output_tokens: 5, total_tokens: 10 },
    });
  });

  it('streams the Responses events in order with sequence numbers 0, 1, 2, ...', () => {
    const stream = cases.get('responses_stream')!;
    const types = stream.types as string[];
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(stream.sequence_numbers).toEqual(types.map((_, i) => i));
    expect(stream.text).toBe(replyOf({ prompt: 'stream from python' }));
  });

  it('accumulates a stream with responses.stream() into the final response', () => {
    expect(cases.get('responses_stream_helper')).toEqual({
      case: 'responses_stream_helper',
      status: 'completed',
      output_text: replyOf({ prompt: 'helper stream' }),
    });
  });
});
