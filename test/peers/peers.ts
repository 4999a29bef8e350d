// The real Python servers users run (Seldon MLServer, KServe's model server, FastAPI + uvicorn), started
// from .venv on 127.0.0.1 by the tests: each on a free port, ready within a bounded wait, killed on
// teardown. .venv comes from scripts/requirements.txt (scripts/setup.sh builds it).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe } from 'vitest';
import { repoRoot } from '../fixtures/paths.ts';

/** The venv's python and its console scripts. */
export const venvBin: string = join(repoRoot, '.venv', 'bin');
export const python: string = join(venvBin, 'python');
const peersDir = import.meta.dirname;

/** The class names of the iris data set, in the order of its class indices. */
export const IRIS_LABELS = ['setosa', 'versicolor', 'virginica'] as const;

const inCI = process.env.CI === 'true';
const venvPresent = existsSync(python);

/**
 * `describe` for a suite that needs .venv: without it the suite skips (with `venvTitle()` saying why), and
 * under CI=true it runs and fails (a suite must not pass without running). Call `requireVenv()` in its
 * `beforeAll`.
 */
export const venvDescribe: typeof describe | typeof describe.skip =
  venvPresent || inCI ? describe : describe.skip;

/** The suite title: `title`, or `title` with the skip reason when .venv is missing outside CI. */
export function venvTitle(title: string): string {
  return venvPresent || inCI ? title : `${title} (skipped: no .venv; run scripts/setup.sh --python)`;
}

/** Throws, naming the fix, when .venv is missing (under CI=true the suite runs and must fail here). */
export function requireVenv(): void {
  if (!existsSync(python)) {
    throw new Error(
      `${python} is missing: run scripts/setup.sh --python (it builds .venv from scripts/requirements.txt)`,
    );
  }
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port from the OS');
  return address.port;
}

/** A started peer: its base URL, and `stop()` that ends it (SIGTERM, then SIGKILL after `graceMs`). */
export interface Peer {
  url: string;
  /** The last lines the process printed, for failure messages. */
  output(): string;
  stop(graceMs?: number): Promise<void>;
}

export interface StartPeerOptions {
  /** Name in errors. */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  port: number;
  /** Path answered 200 once the peer serves, e.g. '/v2/health/ready'. */
  readyPath: string;
  readyInit?: RequestInit;
  /** Bounded wait for readiness; the peer is killed when it runs out. */
  readyTimeoutMs: number;
}

const MAX_OUTPUT_CHARS = 4000;

/** Spawns a peer in its own process group and waits (bounded) until `readyPath` answers 200. */
export async function startPeer(options: StartPeerOptions): Promise<Peer> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve();
    });
    // A command that cannot start (ENOENT: no .venv) emits 'error' and no 'exit'.
    child.once('error', (error) => {
      output += `\n${error.message}`;
      exitCode ??= -1;
      resolve();
    });
  });

  const url = `http://127.0.0.1:${options.port}`;
  const peer: Peer = {
    url,
    output: () => output,
    stop: (graceMs = 5000) => stopProcess(child, exited, graceMs),
  };
  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${options.name} exited (code ${exitCode}) before it was ready:\n${output}`);
    }
    try {
      const response = await fetch(`${url}${options.readyPath}`, {
        ...options.readyInit,
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      if (response.ok) return peer;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await peer.stop(1000);
  throw new Error(
    `${options.name} was not ready at ${url}${options.readyPath} within ${options.readyTimeoutMs} ms:\n${output}`,
  );
}

async function stopProcess(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      // The peer's own process group (spawned detached): the server and any worker it forked.
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const run = promisify(execFile);

/** Runs a script under test/peers/ with the venv's python; bounded by `timeoutMs`. */
export async function runPython(script: string, args: string[], timeoutMs: number): Promise<string> {
  const { stdout } = await run(python, [join(peersDir, script), ...args], {
    cwd: peersDir,
    timeout: timeoutMs,
    maxBuffer: 1 << 20,
  });
  return stdout;
}

/** A temp folder for one suite, removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Trains the scikit-learn iris model (test/peers/iris_sklearn.py) into `repository`: `iris` answers
 * probabilities, `iris-classes` class indices (mlserver-sklearn's default `predict`).
 */
export async function trainIris(repository: string): Promise<void> {
  await runPython('iris_sklearn.py', [repository], 60_000);
}

const READY_TIMEOUT_MS = 90_000;

/** Seldon MLServer serving every model folder in `repository` over OIP v2 REST on 127.0.0.1. */
export async function startMLServer(repository: string): Promise<Peer> {
  const port = await freePort();
  let grpcPort = await freePort();
  while (grpcPort === port) grpcPort = await freePort();
  return startPeer({
    name: 'MLServer',
    command: join(venvBin, 'mlserver'),
    args: ['start', repository],
    cwd: repository,
    // Server settings by environment (MLSERVER_*): loopback only, no metrics server, no worker pool.
    env: {
      MLSERVER_HOST: '127.0.0.1',
      MLSERVER_HTTP_PORT: String(port),
      MLSERVER_GRPC_PORT: String(grpcPort),
      MLSERVER_METRICS_ENDPOINT: '',
      MLSERVER_PARALLEL_WORKERS: '0',
      MLSERVER_LOAD_MODELS_AT_STARTUP: 'true',
    },
    port,
    readyPath: '/v2/health/ready',
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
}

/** KServe's Python model server (test/peers/kserve_iris.py) serving `iris` from `modelDir`. */
export async function startKServe(modelDir: string): Promise<Peer> {
  const port = await freePort();
  return startPeer({
    name: 'KServe model server',
    command: python,
    args: [join(peersDir, 'kserve_iris.py'), modelDir, String(port)],
    cwd: peersDir,
    port,
    readyPath: '/v2/health/ready',
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
}

/** The FastAPI + uvicorn + scikit-learn `/predict/iris` server of bench/peers/fastapi_predict.py. */
export async function startFastAPIPredict(): Promise<Peer> {
  const port = await freePort();
  return startPeer({
    name: 'FastAPI /predict peer',
    command: python,
    args: [join(repoRoot, 'bench', 'peers', 'fastapi_predict.py'), String(port)],
    port,
    readyPath: '/health',
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
}
