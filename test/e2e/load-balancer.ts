// The pieces of the load-balancer drill: replica processes (examples/replica/main.ts), haproxy in
// front of them with health checks, and bounded concurrent load whose every answer is checked.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../fixtures/paths.ts';

/** Where haproxy is, or undefined when it is not installed (setup installs Debian's with --haproxy). */
export function findHaproxy(): string | undefined {
  for (const path of ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy']) {
    try {
      execFileSync(path, ['-v'], { stdio: 'ignore' });
      return path;
    } catch {}
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for haproxy to bind). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One replica process. */
export interface Replica {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code or signal once the process ended. */
  readonly exited: Promise<string>;
  /** What it wrote to stderr (for failure messages). */
  stderr(): string;
}

/** Settings every replica of a drill starts with. */
export interface ReplicaSettings {
  /** MLKIT_DRAIN_DELAY_MS of the replica. */
  drainDelayMs: number;
  /** MLKIT_GRACE_MS of the replica. */
  graceMs: number;
  /** More environment variables (MLKIT_CONFIG, ...). */
  env?: Record<string, string>;
}

/**
 * Start `node examples/replica/main.ts` (the repo's toolchain node, the built packages) on
 * 127.0.0.1:`port` (0: any free port) and resolve once it printed where it listens.
 */
export async function startReplica(port: number, settings: ReplicaSettings): Promise<Replica> {
  const child = spawn(process.execPath, [join(repoRoot, 'examples', 'replica', 'main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MLKIT_DRAIN_DELAY_MS: String(settings.drainDelayMs),
      MLKIT_GRACE_MS: String(settings.graceMs),
      ...settings.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-8_000);
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
  );
  const listening = await new Promise<{ listening: string; port: number }>((resolve, reject) => {
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const line = stdout.split('\n').find((each) => each.startsWith('{"listening"'));
      if (line) resolve(JSON.parse(line));
    });
    void exited.then((how) =>
      reject(new Error(`replica on port ${port} ended (${how}) before listening:\n${stderr}`)),
    );
  });
  return { port: listening.port, url: listening.listening, child, exited, stderr: () => stderr };
}

/** haproxy's view of one backend server (from `show stat`). */
export interface ServerState {
  name: string;
  /** 'UP', 'DOWN', 'UP 1/2', 'DOWN 1/1', 'NOLB', 'MAINT', ... */
  status: string;
}

/** A running haproxy in front of the replicas. */
export interface Balancer {
  /** The frontend, e.g. 'http://127.0.0.1:40123'. */
  readonly url: string;
  /** Every backend server's state now. */
  servers(): Promise<ServerState[]>;
  /** Resolves once each named server is UP (throws with the states after `timeoutMs`). */
  waitUntil(names: string[], status: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  /** What haproxy wrote to stderr. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Settings of the drill's haproxy. */
export interface BalancerSettings {
  /** Replica ports, named r0, r1, ... in haproxy. */
  ports: number[];
  /** Folder for haproxy.cfg and the admin socket. */
  dir: string;
  /** Health check interval (`inter`), ms. */
  checkIntervalMs: number;
}

/**
 * haproxy round-robin over the replicas: `option httpchk GET /v2/health/ready` (haproxy's default
 * check, an HTTP/1.0 request without a Host header), `fall 2 rise 1`, `retries 0` and no
 * `option redispatch`, so a call that reaches a replica that refuses it fails (no balancer retry).
 */
export function haproxyConfig(settings: BalancerSettings & { frontendPort: number; socket: string }): string {
  return [
    'global',
    `  stats socket ${settings.socket} mode 600 level admin`,
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 30s',
    '  retries 0',
    'frontend drill',
    `  bind 127.0.0.1:${settings.frontendPort}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk GET /v2/health/ready',
    `  default-server inter ${settings.checkIntervalMs} fall 2 rise 1`,
    ...settings.ports.map((port, index) => `  server r${index} 127.0.0.1:${port} check`),
    '',
  ].join('\n');
}

/** One command on haproxy's admin socket; resolves with its whole answer. */
function adminCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket);
    let answer = '';
    connection.setEncoding('utf8');
    connection.on('data', (text: string) => {
      answer += text;
    });
    connection.once('error', reject);
    connection.once('end', () => resolve(answer));
    connection.end(`${command}\n`);
  });
}

/** Start haproxy in the foreground (-db) with `haproxyConfig`; resolves once its admin socket answers. */
export async function startHaproxy(haproxy: string, settings: BalancerSettings): Promise<Balancer> {
  const frontendPort = await freePort();
  const socket = join(settings.dir, 'haproxy.sock');
  const configFile = join(settings.dir, 'haproxy.cfg');
  writeFileSync(configFile, haproxyConfig({ ...settings, frontendPort, socket }));
  const child = spawn(haproxy, ['-db', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-16_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  async function servers(): Promise<ServerState[]> {
    const csv = await adminCommand(socket, 'show stat');
    const lines = csv.split('\n').filter((line) => line && !line.startsWith('#'));
    const header = csv.split('\n')[0]!.replace(/^# /, '').split(',');
    const nameAt = header.indexOf('svname');
    const statusAt = header.indexOf('status');
    return lines
      .map((line) => line.split(','))
      .filter((fields) => fields[0] === 'replicas' && fields[nameAt] !== 'BACKEND')
      .map((fields) => ({ name: fields[nameAt]!, status: fields[statusAt]! }));
  }

  for (let tries = 0; ; tries++) {
    try {
      await servers();
      break;
    } catch (error) {
      if (tries > 100 || child.exitCode !== null)
        throw new Error(`haproxy did not start: ${String(error)}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    url: `http://127.0.0.1:${frontendPort}`,
    servers,
    async waitUntil(names, status, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const states = await servers();
        if (names.every((name) => states.find((state) => state.name === name)?.status === status)) return;
        if (Date.now() > until) {
          throw new Error(
            `haproxy: ${names.join(', ')} not ${status} within ${timeoutMs} ms: ${JSON.stringify(states)}\n${stderr}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The counts of one phase of the drill. */
export interface PhaseCounts {
  calls: number;
  failures: number;
  clientRetries: number;
  replicaRestarts: number;
}

/** What one call of the load did: right, or why not. */
export type CallOutcome = { ok: true } | { ok: false; reason: string };

/**
 * Bounded concurrent load: `workers` loops each make one call after another (call `index` of the
 * phase picks its kind) until `stop()`; resolves once every call in flight has ended.
 */
export function runLoad(workers: number, call: (index: number) => Promise<CallOutcome>) {
  let stopping = false;
  let next = 0;
  const failures: string[] = [];
  let calls = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopping) {
      const outcome = await call(next++).catch(
        (error: unknown): CallOutcome => ({ ok: false, reason: String(error) }),
      );
      calls++;
      if (!outcome.ok) failures.push(outcome.reason);
    }
  });
  return {
    /** Calls that ended so far. */
    get calls() {
      return calls;
    },
    async stop(): Promise<{ calls: number; failures: string[] }> {
      stopping = true;
      await Promise.all(loops);
      return { calls, failures };
    },
  };
}
