// What packages/cli/README.md says and the other CLI tests do not show, one test per claim, on the
// built bin and the repository's fixtures.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath, repoRoot } from '../../../test/fixtures/paths.ts';
import { mlkit, requireBuild, start } from './mlkit.ts';

const iris = `onnx:${fixturePath('iris-classifier')}`;
const bert = `onnx:${fixturePath('tiny-bert')}`;
const sentiment = `onnx:${fixturePath('tiny-bert-sentiment')}`;
const gpt = `onnx:${fixturePath('tiny-gpt')}`;
const setosa = '{"rows": [[5.1, 3.5, 1.4, 0.2]]}';
let folder: string;

beforeAll(() => {
  requireBuild();
  ensureFixtures();
  folder = mkdtempSync(join(tmpdir(), 'mlkit-cli-claims-'));
});

/** A file in this test's folder. */
function file(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = createNetServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Start `mlkit serve <args>` and wait for the line with its URL. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = start(['serve', ...args], env);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const url = /on (http:\/\/\S+)/.exec(line)?.[1];
  if (!url) throw new Error(`mlkit serve printed ${line}; ${stderr}`);
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { child, url, line, exited, stop, stderr: () => stderr };
}

const predict = (url: string, name: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/predict/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ data: [5.1, 3.5, 1.4, 0.2] }),
  });

describe('README: install', () => {
  it('the package brings @mlkit/onnx, @mlkit/server and onnxruntime-node, with @mlkit/core as a peer', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages', 'cli', 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).toEqual(
      expect.arrayContaining(['@mlkit/onnx', '@mlkit/server', 'onnxruntime-node']),
    );
    expect(Object.keys(manifest.peerDependencies)).toEqual(['@mlkit/core']);
    expect(manifest.bin).toEqual({ mlkit: './dist/mlkit.js' });
  });

  it.each([
    ['run', ['--task', '--option', '--config', '--json', '--help']],
    ['serve', ['--port', '--host', '--api-key', '--task', '--option', '--config', '--help']],
    [
      'compare',
      ['--data', '--pricing', '--concurrency', '--task', '--option', '--json', '--markdown', '--help'],
    ],
    ['info', ['--task', '--option', '--config', '--json', '--help']],
  ])('mlkit %s --help lists each of its options', async (command, flags) => {
    const { code, stdout } = await mlkit([command, '--help']);
    expect(code).toBe(0);
    for (const flag of flags) expect(stdout).toMatch(new RegExp(`^ +(-\\w, )?${flag} `, 'm'));
  });
});

describe('README: mlkit run', () => {
  it('the iris example prints "setosa (0.9966)" for the iris-classifier fixture', async () => {
    const { code, stdout } = await mlkit(['run', iris, setosa]);
    expect(code).toBe(0);
    expect(stdout).toBe('setosa (0.9966)\n');
  });

  it('plain text is the text of a classification model', async () => {
    const { code, stdout } = await mlkit(['run', sentiment, 'a great film', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).predictions).toHaveLength(1);
  });

  it('-o passes createModel() options: -o device=cpu runs, an unknown device exits 1 naming it', async () => {
    const cpu = await mlkit(['run', bert, 'an embedding', '-o', 'device=cpu']);
    expect(cpu.code).toBe(0);
    expect(cpu.stdout).toMatch(/^0: \[.*\] \(\d+ dimensions\)\n$/);
    const tpu = await mlkit(['run', bert, 'an embedding', '-o', 'device=tpu']);
    expect(tpu.code).toBe(1);
    expect(tpu.stderr).toContain('options.device');
  });

  it('a --config file may compose models: a fallback answers', async () => {
    const config = file('fallback.json', JSON.stringify({ fallback: [iris, iris] }));
    const { code, stdout } = await mlkit(['run', '--config', config, setosa]);
    expect(code).toBe(0);
    expect(stdout).toBe('setosa (0.9966)\n');
  });
});

describe('README: mlkit serve', () => {
  it('PORT is honoured when --port is not given', async () => {
    const port = await freePort();
    const server = await serve([iris], { PORT: String(port) });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await server.stop();
    }
  });

  it('HOST is honoured when --host is not given', async () => {
    const server = await serve([iris, '--port', '0'], { HOST: 'localhost' });
    try {
      expect(server.url).toMatch(/^http:\/\/localhost:\d+$/);
    } finally {
      await server.stop();
    }
  });

  it('serves the Open Inference Protocol v2 routes too', async () => {
    const server = await serve([iris, '--port', '0']);
    try {
      const response = await fetch(`${server.url}/v2/models/iris-classifier`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { name: string }).name).toBe('iris-classifier');
    } finally {
      await server.stop();
    }
  });

  it('MLKIT_SERVE_API_KEYS (comma-separated) are the accepted keys', async () => {
    const server = await serve([iris, '--port', '0'], { MLKIT_SERVE_API_KEYS: 'sk-one, sk-two' });
    try {
      expect(server.line).toContain('(API key required)');
      expect((await predict(server.url, 'iris-classifier')).status).toBe(401);
      expect((await predict(server.url, 'iris-classifier', { authorization: 'Bearer sk-two' })).status).toBe(
        200,
      );
    } finally {
      await server.stop();
    }
  });

  it('--config serves its models under their names, with its limits', async () => {
    const config = file(
      'serve.json',
      JSON.stringify({ models: { flowers: { model: iris } }, limits: { maxBodyBytes: 64 } }),
    );
    const server = await serve(['--config', config, '--port', '0']);
    try {
      expect(server.line).toContain('flowers (classification)');
      expect((await predict(server.url, 'flowers')).status).toBe(200);
      const big = await fetch(`${server.url}/predict/flowers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [5.1, 3.5, 1.4, 0.2], padding: 'x'.repeat(100) }),
      });
      expect(big.status).toBe(413);
    } finally {
      await server.stop();
    }
  });

  it('drains on SIGTERM: readiness answers 503 during the config drainDelayMs, then it exits 0', async () => {
    const config = file('drain.json', JSON.stringify({ models: { flowers: iris }, drainDelayMs: 3000 }));
    const server = await serve(['--config', config, '--port', '0']);
    const ready = () =>
      fetch(`${server.url}/v2/health/ready`).then(
        (response) => response.status,
        () => 'refused',
      );
    expect(await ready()).toBe(200);
    server.child.kill('SIGTERM');
    let status: number | string = 200;
    while (status === 200) status = await ready();
    expect(status).toBe(503);
    const [code] = await server.exited;
    expect(code).toBe(0);
  });

  it('Ctrl-C (SIGINT) drains and exits 0 too', async () => {
    const server = await serve([iris, '--port', '0']);
    server.child.kill('SIGINT');
    const [code] = await server.exited;
    expect(code).toBe(0);
    expect(server.stderr()).toContain('SIGINT, draining');
  });
});

describe('README: mlkit compare', () => {
  const rows = () =>
    file(
      'rows.jsonl',
      `${JSON.stringify({ rows: [[5.1, 3.5, 1.4, 0.2]] })}\n${JSON.stringify({ rows: [[6.7, 3.0, 5.2, 2.3]] })}\n`,
    );

  it('--concurrency defaults to 4', async () => {
    const { code, stdout } = await mlkit(['compare', `a=${iris}`, `b=${iris}`, '--data', rows(), '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).concurrency).toBe(4);
  });

  it('classification agrees by label match: a model with itself is 1', async () => {
    const logits = `onnx:${fixturePath('iris-classifier-logits')}`;
    const { code, stdout } = await mlkit([
      'compare',
      `a=${iris}`,
      `b=${logits}`,
      `c=${iris}`,
      '--data',
      rows(),
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.agreementMeasure).toBe('label match');
    expect(report.models[2].agreement).toBe(1);
  });

  it('the table starts with the line that says what was compared and how agreement is measured', async () => {
    const data = file(
      'prompts.jsonl',
      '{"prompt": "Hello", "maxTokens": 4, "temperature": 0}\n"Name a colour"\n',
    );
    const { code, stdout } = await mlkit(['compare', `local=${gpt}`, `again=${gpt}`, '--data', data]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(
      `2 inputs from ${data}, task text-generation, 4 at a time; agreement: exact text match with local (inputs both answered)`,
    );
  });
});
