import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath, fixturesDir, repoRoot } from '../../../test/fixtures/paths.ts';
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

  /** The threads of a process, as Linux counts them (a Worker is one more). */
  const threadsOf = (pid: number) =>
    Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

  /** Serve, make one /predict call (so every lazy thread pool has started), count the threads, stop. */
  async function threadsServing(args: string[]): Promise<number> {
    const server = await serve(args);
    try {
      const response = await fetch(`${server.url}/predict/iris`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [5.1, 3.5, 1.4, 0.2] }),
      });
      expect(((await response.json()) as { prediction: string }).prediction).toBe('setosa');
      return threadsOf(server.child.pid!);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }

  it.skipIf(process.platform !== 'linux')(
    'runs an onnx: model in a worker thread unless -o worker=false, for model strings and --config entries',
    async () => {
      const iris = `onnx:${fixturePath('iris-classifier-logits')}`;
      const config = (models: object) => {
        const file = join(tmpdir(), `mlkit-serve-worker-${process.pid}-${Math.random()}.json`);
        writeFileSync(file, JSON.stringify({ models }));
        return file;
      };
      // One intra-op thread on both sides (a worker session defaults to one fewer than the cores, an
      // in-process one to all of them), so the worker thread itself is the difference.
      const mainThread = await threadsServing([`iris=${iris}`, '-o', 'worker=false', '-o', 'threads=1']);
      expect(await threadsServing([`iris=${iris}`, '-o', 'threads=1'])).toBeGreaterThan(mainThread);
      expect(
        await threadsServing(['--config', config({ iris: { model: iris, options: { threads: 1 } } })]),
      ).toBeGreaterThan(mainThread);
      const configOff = config({ iris: { model: iris, options: { worker: false, threads: 1 } } });
      expect(await threadsServing(['--config', configOff])).toBe(mainThread);
    },
    60_000,
  );

  /** One call each to the vision and speech fixtures: the image's prediction, the transcript, the speech bytes. */
  async function visionAndSpeech(args: string[]) {
    const server = await serve([
      `onnx:${join(fixturesDir, 'tiny-vit')}`,
      `onnx:${join(fixturesDir, 'tiny-whisper')}`,
      `onnx:${join(fixturesDir, 'tiny-vits')}`,
      ...args,
    ]);
    try {
      const media = join(repoRoot, 'test', 'fixtures', 'media');
      const image = await fetch(`${server.url}/predict/tiny-vit`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: readFileSync(join(media, 'square.png')),
      });
      expect(image.status).toBe(200);
      const form = new FormData();
      form.append('model', 'tiny-whisper');
      form.append(
        'file',
        new Blob([readFileSync(join(media, 'hello-16k.wav'))], { type: 'audio/wav' }),
        'hello.wav',
      );
      const transcript = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
      expect(transcript.status).toBe(200);
      const speech = await fetch(`${server.url}/v1/audio/speech`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'tiny-vits',
          input: 'Hello world',
          voice: 'alloy',
          response_format: 'wav',
        }),
      });
      expect(speech.status).toBe(200);
      return {
        image: await image.json(),
        transcript: await transcript.json(),
        speech: new Uint8Array(await speech.arrayBuffer()),
      };
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }

  it('serves the vision and speech fixtures in worker threads with the answers of the main thread', async () => {
    const inWorkers = await visionAndSpeech([]);
    const onMainThread = await visionAndSpeech(['-o', 'worker=false']);
    expect(inWorkers.speech.length).toBeGreaterThan(44);
    expect(new TextDecoder().decode(inWorkers.speech.subarray(0, 4))).toBe('RIFF');
    expect(inWorkers).toEqual(onMainThread);
  }, 90_000);
});
