// The scale-out drill: three replica processes (examples/replica/main.ts, the built packages) behind
// haproxy round-robin with health checks on /v2/health/ready, under bounded concurrent load from the
// mlkit client, every answer checked. (a) A rolling restart (SIGTERM, drain, start again) with the
// balancer's retry off and the client's off too loses no call; (b) `kill -9` of one replica loses no
// call with the client's retry budget (maxRetries 3, as the README advises); (c) one JSON line with the counts of each phase.
// Everything is on 127.0.0.1, on ports the kernel hands out; each phase runs a few seconds of load.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAICompatible, createPredict, type ModelEvent } from '../../src/index.ts';
import { ensureFixtures, repoRoot } from '../fixtures/paths.ts';
import {
  type Balancer,
  type CallOutcome,
  findHaproxy,
  type PhaseCounts,
  type Replica,
  runLoad,
  startHaproxy,
  startReplica,
} from './load-balancer.ts';

const haproxy = findHaproxy();
const inCi = process.env.CI === 'true';
const REPLICAS = 3;
/** Calls in flight at once, over the whole drill. */
const WORKERS = 6;
/** haproxy's check interval; `fall 2` marks a replica down within about two of them. */
const CHECK_INTERVAL_MS = 200;
/** The replicas' drain: readiness 503 this long while serving, well over fall 2 x inter. */
const replicaSettings = { drainDelayMs: 1_500, graceMs: 5_000 };
/** The retry budget the README advises behind a balancer that takes 1-2 s to mark a replica down. */
const BALANCER_MAX_RETRIES = 3;
/** Load before and after each phase's action. */
const LOAD_MARGIN_MS = 500;

const irisRows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];
const chatInput = {
  messages: [{ role: 'user' as const, content: 'Hello there' }],
  maxTokens: 8,
  temperature: 0,
};

const title = `load-balancer drill: ${REPLICAS} replicas behind haproxy with health checks${
  haproxy ? '' : ' (skipped: no haproxy; apt-get install haproxy, or bash scripts/setup.sh --haproxy)'
}`;

describe.skipIf(!haproxy && !inCi)(title, () => {
  let dir: string;
  let balancer: Balancer;
  const replicas: Replica[] = [];
  const ports: number[] = [];
  const counts: Record<string, PhaseCounts> = {};
  let expectedPredictions: string;
  let expectedText: string;

  beforeAll(async () => {
    if (!haproxy)
      throw new Error('CI=true and haproxy is missing: bash scripts/setup.sh --haproxy installs it');
    for (const entry of [
      'dist/index.js',
      'packages/onnx/dist/index.node.js',
      'packages/server/dist/node.js',
    ]) {
      if (!existsSync(join(repoRoot, entry)))
        throw new Error(`${entry} is missing: the replicas run the built packages; run \`npm run build\``);
    }
    ensureFixtures();
    dir = mkdtempSync(join(tmpdir(), 'mlkit-drill-'));
    const started = Array.from({ length: REPLICAS }, () => startReplica(0, replicaSettings));
    replicas.push(...(await Promise.all(started)));
    ports.push(...replicas.map((replica) => replica.port));
    balancer = await startHaproxy(haproxy, { ports, dir, checkIntervalMs: CHECK_INTERVAL_MS });
    await balancer.waitUntil(names(), 'UP');

    // The right answers, from one replica directly: every replica serves the same models.
    const direct = replicas[0]!.url;
    const iris = createPredict({ url: `${direct}/predict/iris`, maxRetries: 0 });
    expectedPredictions = JSON.stringify((await iris.run({ rows: irisRows })).predictions);
    const chat = createOpenAICompatible({ name: 'direct', baseURL: `${direct}/v1`, maxRetries: 0 });
    expectedText = (await chat.textGeneration('tiny-gpt').run(chatInput)).text;
    expect(JSON.parse(expectedPredictions)).toHaveLength(irisRows.length);
    expect(expectedText.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    for (const replica of replicas) if (replica.child.exitCode === null) replica.child.kill('SIGKILL');
    await Promise.all(replicas.map((replica) => replica.exited));
    await balancer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // (c) the counts of each phase, one line.
    console.log(
      JSON.stringify({ drill: 'haproxy', replicas: REPLICAS, checkIntervalMs: CHECK_INTERVAL_MS, ...counts }),
    );
  });

  function names(): string[] {
    return ports.map((_, index) => `r${index}`);
  }

  /** Calls through the balancer: iris predictions, chat, and (when `streams`) chat streams, each checked. */
  function caller(options: { maxRetries?: number; streams: boolean; onRetry: () => void }) {
    const onEvent = (event: ModelEvent) => {
      if (event.type === 'retry') options.onRetry();
    };
    const retries = options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries };
    const iris = createPredict({ url: `${balancer.url}/predict/iris`, ...retries, onEvent });
    const chat = createOpenAICompatible({
      name: 'drill',
      baseURL: `${balancer.url}/v1`,
      ...retries,
      onEvent,
    }).textGeneration('tiny-gpt');
    return async (index: number): Promise<CallOutcome> => {
      const kind = index % (options.streams ? 3 : 2);
      if (kind === 0) {
        const got = JSON.stringify((await iris.run({ rows: irisRows })).predictions);
        return got === expectedPredictions ? { ok: true } : { ok: false, reason: `iris answered ${got}` };
      }
      let text = '';
      if (kind === 1) text = (await chat.run(chatInput)).text;
      else
        for await (const chunk of chat.stream(chatInput)) if (chunk.type === 'text-delta') text += chunk.text;
      return text === expectedText
        ? { ok: true }
        : { ok: false, reason: `${kind === 1 ? 'chat' : 'stream'} answered ${JSON.stringify(text)}` };
    };
  }

  it('a request id sent through haproxy comes back from the replica that answered', async () => {
    const response = await fetch(`${balancer.url}/v2/health/live`, {
      headers: { 'x-request-id': 'drill-42' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('drill-42');
  });

  it('a rolling restart (SIGTERM, drain, start again) loses no call with the balancer retry and the client retry off', async () => {
    await balancer.waitUntil(names(), 'UP');
    let clientRetries = 0;
    let replicaRestarts = 0;
    const exits: string[] = [];
    const order: string[] = [];
    const load = runLoad(WORKERS, caller({ maxRetries: 0, streams: true, onRetry: () => clientRetries++ }));
    await sleep(LOAD_MARGIN_MS);
    for (const [index, port] of ports.entries()) {
      const replica = replicas[index]!;
      replica.child.kill('SIGTERM');
      // The drain is long enough when haproxy takes the replica out before it stops serving.
      order.push(
        await Promise.race([
          balancer.waitUntil([`r${index}`], 'DOWN').then(
            () => 'down, then exit',
            () => 'never down',
          ),
          replica.exited.then(() => 'exit before down'),
        ]),
      );
      exits.push(await replica.exited);
      replicas[index] = await startReplica(port, replicaSettings);
      replicaRestarts++;
      await balancer.waitUntil([`r${index}`], 'UP');
    }
    await sleep(LOAD_MARGIN_MS);
    const { calls, failures } = await load.stop();
    counts.rollingRestart = { calls, failures: failures.length, clientRetries, replicaRestarts };

    expect(order).toEqual(ports.map(() => 'down, then exit'));
    expect(exits).toEqual(ports.map(() => 'exit 0'));
    expect(calls).toBeGreaterThan(0);
    expect(failures.slice(0, 5)).toEqual([]);
  }, 90_000);

  it(`kill -9 of one replica under load loses no call with the client's retry budget (maxRetries ${BALANCER_MAX_RETRIES})`, async () => {
    await balancer.waitUntil(names(), 'UP');
    let clientRetries = 0;
    // A stream cut after its first chunk cannot be retried (its text already reached the caller),
    // so this phase sends whole calls only.
    const load = runLoad(
      WORKERS,
      caller({ maxRetries: BALANCER_MAX_RETRIES, streams: false, onRetry: () => clientRetries++ }),
    );
    await sleep(LOAD_MARGIN_MS);
    const victim = 1;
    replicas[victim]!.child.kill('SIGKILL');
    const how = await replicas[victim]!.exited;
    await balancer.waitUntil([`r${victim}`], 'DOWN');
    await sleep(LOAD_MARGIN_MS);
    replicas[victim] = await startReplica(ports[victim]!, replicaSettings);
    await balancer.waitUntil([`r${victim}`], 'UP');
    await sleep(LOAD_MARGIN_MS);
    const { calls, failures } = await load.stop();
    counts.kill9 = { calls, failures: failures.length, clientRetries, replicaRestarts: 1 };

    expect(how).toBe('SIGKILL');
    expect(calls).toBeGreaterThan(0);
    expect(failures.slice(0, 5)).toEqual([]);
  }, 90_000);
});
