// Requests/s and p99 latency at 64 connections for POST /predict on a small tabular classifier:
// @mlkit/server + @mlkit/onnx (iris fixture) vs FastAPI + uvicorn + scikit-learn, the server most
// teams hand-write today. Same data, same JSON shape, same load generator (autocannon), same run.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { createServer } from '../packages/server/src/index.ts';
import { listen } from '../packages/server/src/node.ts';
import { ensureFixtures, fixturePath, repoRoot } from '../test/fixtures/paths.ts';
import { postLoad } from './support/load.ts';

const CONNECTIONS = 64;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const PYTHON = join(repoRoot, '.venv', 'bin', 'python');
const body = JSON.stringify({ data: [[5.1, 3.5, 1.4, 0.2]] });

// FastAPI, uvicorn and scikit-learn from .venv (scripts/requirements.txt; `./dev bench` builds it first).
function ensurePythonPeer(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import fastapi, uvicorn, sklearn'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `${PYTHON} cannot import fastapi, uvicorn and sklearn: run scripts/setup.sh --python (it builds .venv)`,
    );
  }
}

async function waitFor(url: string, init: RequestInit): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url, init)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function load(url: string, seconds: number) {
  const result = await postLoad(url, body, CONNECTIONS, seconds);
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

ensurePythonPeer();
await ensureFixtures();

// Ours.
const model = await loadModel(fixturePath('iris-classifier'), { task: 'classification' });
const server = createServer({ models: { iris: model } });
const ours = await listen(server, { port: 0, host: '127.0.0.1' });
const oursUrl = `${ours.url}/predict/iris`;
await waitFor(oursUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

// Peer.
const port = 20000 + Math.floor(Math.random() * 20000);
const peerScript = join(import.meta.dirname, 'peers', 'fastapi_predict.py');
if (!existsSync(peerScript)) throw new Error(`missing ${peerScript}`);
const peer = spawn(PYTHON, [peerScript, String(port)], { stdio: 'inherit' });
const peerUrl = `http://127.0.0.1:${port}/predict/iris`;
try {
  await waitFor(peerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  await load(oursUrl, 2); // warm-up
  await load(peerUrl, 2);
  const mine = await load(oursUrl, DURATION_S);
  const theirs = await load(peerUrl, DURATION_S);

  console.log(`\n${CONNECTIONS} connections, ${DURATION_S} s each, POST /predict/iris (one iris row)`);
  console.log('server                         req/s     p99 ms   requests  non-2xx  errors');
  for (const [name, r] of [
    ['@mlkit/server + @mlkit/onnx', mine],
    ['FastAPI + uvicorn + sklearn', theirs],
  ] as const) {
    console.log(
      `${name.padEnd(28)} ${r.requestsPerSecond.toFixed(0).padStart(8)} ${String(r.p99Ms).padStart(9)} ${String(r.total).padStart(10)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)}`,
    );
  }
  const ratio = mine.requestsPerSecond / theirs.requestsPerSecond;
  console.log(
    JSON.stringify({
      bench: 'server.predict-p99-ms',
      ours: mine.p99Ms,
      peer: theirs.p99Ms,
      unit: 'ms (lower is better)',
      ratio: theirs.p99Ms / Math.max(mine.p99Ms, 1e-9),
      goal: 1,
    }),
  );
  console.log(
    JSON.stringify({
      bench: 'server.predict',
      ours: mine.requestsPerSecond,
      peer: theirs.requestsPerSecond,
      unit: 'req/s',
      ratio,
      goal: 3,
    }),
  );
} finally {
  peer.kill('SIGTERM');
  await ours.close();
}
