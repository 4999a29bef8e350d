// examples/replica/main.ts, the program the Dockerfile runs, as a process: models from MLKIT_CONFIG or
// the fixtures, PORT/HOST, and the drain on SIGTERM (readiness 503 while it still serves, then exit 0).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica } from '../e2e/load-balancer.ts';
import { ensureFixtures, fixturePath } from '../fixtures/paths.ts';

const settings = { drainDelayMs: 1_000, graceMs: 5_000 };

describe('examples/replica: one replica as a container runs it', () => {
  let dir: string;

  beforeAll(() => {
    ensureFixtures();
    dir = mkdtempSync(join(tmpdir(), 'mlkit-replica-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the models MLKIT_CONFIG names, under the names it gives them', async () => {
    const config = join(dir, 'models.json');
    writeFileSync(
      config,
      JSON.stringify({
        flowers: { task: 'classification', model: `onnx:${fixturePath('iris-classifier')}` },
      }),
    );
    const replica = await startReplica(0, { ...settings, env: { MLKIT_CONFIG: config } });
    try {
      expect((await fetch(`${replica.url}/v2/models/flowers/ready`)).status).toBe(200);
      expect((await fetch(`${replica.url}/v2/models/iris/ready`)).status).toBe(404);
      const answer = await fetch(`${replica.url}/predict/flowers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [[5.1, 3.5, 1.4, 0.2]] }),
      });
      expect(answer.status).toBe(200);
      expect((await answer.json()).prediction).toEqual(['setosa']);
    } finally {
      replica.child.kill('SIGKILL');
      await replica.exited;
    }
  });

  it('ends with an error naming MLKIT_CONFIG when the file is not JSON', async () => {
    const config = join(dir, 'broken.json');
    writeFileSync(config, '{ "iris": ');
    await expect(startReplica(0, { ...settings, env: { MLKIT_CONFIG: config } })).rejects.toThrow(
      /MLKIT_CONFIG=.*broken\.json must name a readable JSON file/,
    );
  });

  it('on SIGTERM answers readiness 503 while it still serves, then exits 0', async () => {
    const replica = await startReplica(0, settings);
    const models = await (await fetch(`${replica.url}/v1/models`)).json();
    expect(models.data.map((model: { id: string }) => model.id).sort()).toEqual(['iris', 'tiny-gpt']);
    expect((await fetch(`${replica.url}/v2/health/ready`)).status).toBe(200); // probed: the drain applies
    replica.child.kill('SIGTERM');
    let readiness = 200;
    for (let tries = 0; readiness === 200 && tries < 200; tries++) {
      readiness = (await fetch(`${replica.url}/v2/health/ready`)).status;
      if (readiness === 200) await sleep(5);
    }
    expect(readiness).toBe(503);
    expect((await fetch(`${replica.url}/v2/health/live`)).status).toBe(200);
    const served = await fetch(`${replica.url}/predict/iris`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [[5.1, 3.5, 1.4, 0.2]] }),
    });
    expect(served.status).toBe(200);
    expect(await replica.exited).toBe('exit 0');
  });
});
