import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../../test/fixtures/paths.ts';
import { requireBuild, start } from './mlkit.ts';

beforeAll(() => {
  requireBuild();
  ensureFixtures();
});

/** Start `mlkit serve` and wait for the line with its URL. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = start(['serve', ...args, '--port', '0'], env);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const url = /on (http:\/\/\S+)/.exec(line)?.[1];
  if (!url) throw new Error(`mlkit serve printed ${line}; ${stderr}`);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, url, line, exited, stderr: () => stderr };
}

describe('mlkit serve', () => {
  it('serves each model under the name from its model string or name=', async () => {
    const server = await serve([
      `onnx:${fixturePath('iris-classifier-logits')}`,
      `chat=onnx:${fixturePath('tiny-gpt')}`,
    ]);
    try {
      expect(server.line).toContain('iris-classifier-logits (classification), chat (text-generation)');
      const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((model) => model.id).sort()).toEqual(['chat', 'iris-classifier-logits']);
      const response = await fetch(`${server.url}/predict/iris-classifier-logits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [5.1, 3.5, 1.4, 0.2] }),
      });
      expect(((await response.json()) as { prediction: string }).prediction).toBe('setosa');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('--api-key makes requests without the key 401', async () => {
    const server = await serve([`onnx:${fixturePath('iris-classifier-logits')}`, '--api-key', 'sk-cli-test']);
    try {
      const body = JSON.stringify({ data: [5.1, 3.5, 1.4, 0.2] });
      const path = `${server.url}/predict/iris-classifier-logits`;
      const json = { 'content-type': 'application/json' };
      expect((await fetch(path, { method: 'POST', body, headers: json })).status).toBe(401);
      const authorized = await fetch(path, {
        method: 'POST',
        body,
        headers: { ...json, authorization: 'Bearer sk-cli-test' },
      });
      expect(authorized.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('SIGTERM during a stream lets the stream finish, then exits 0 and refuses connections', async () => {
    const server = await serve([`onnx:${fixturePath('tiny-gpt')}`]);
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny-gpt',
        messages: [{ role: 'user', content: 'Hello' }],
        max_tokens: 48,
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value ?? '';
    server.child.kill('SIGTERM');
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += part.value;
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const [code] = await server.exited;
    expect(code).toBe(0);
    expect(server.stderr()).toContain('SIGTERM, draining');
    await expect(fetch(`${server.url}/v2/health/live`)).rejects.toThrow();
  });
});
