// `./dev runtimes` (and the end of `./dev test`): the runtime jobs, each a test program under its
// runtime's own runner, on the built packages. Node 22 from .toolchain/ (scripts/setup.sh
// --runtimes), Bun and Deno from node_modules/.bin (the `bun` and `deno` dev dependencies). The jobs
// run side by side; each prints one summary line, a failed one its whole output, and any failure
// (or anything a job writes to stderr that its runner does not) fails the command.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

type Counts = { passed: number; skipped: number; failed: number };
interface Job {
  name: string;
  /** What the job runs, for its summary line. */
  covers: string;
  version: string[];
  command: string[];
  /** The runner's own totals, read from the end of its output. */
  counts(output: string): Counts | undefined;
  /** Whether the runner writes its report to stderr (Bun does); otherwise stderr must stay empty. */
  reportsOnStderr?: boolean;
}

/** The newest Node 22 that setup unpacked into .toolchain/. */
function node22(): string {
  const found = readdirSync(join(root, '.toolchain'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^node-v22\.\d+\.\d+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = found.at(-1);
  if (!newest) throw new Error('no Node 22 in .toolchain/: run `bash scripts/setup.sh --runtimes`');
  return join(root, '.toolchain', newest, 'bin', 'node');
}

const number = (output: string, pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? Number.NaN);
const known = (counts: Counts) => (Object.values(counts).every(Number.isFinite) ? counts : undefined);

const jobs: Job[] = [
  {
    name: 'node 22',
    covers: 'core conformance on node:test, server behind @mlkit/server/node, onnx iris + tiny-bert',
    version: [node22(), '--version'],
    command: [node22(), '--test', '--test-reporter=spec', 'test/runtimes/node22.ts'],
    counts: (output) =>
      known({
        passed: number(output, /^ℹ pass (\d+)$/m),
        skipped: number(output, /^ℹ skipped (\d+)$/m),
        failed: number(output, /^ℹ fail (\d+)$/m),
      }),
  },
  {
    name: 'bun',
    covers:
      'core conformance on bun:test (a check that does not apply passes), server under Bun.serve, onnx iris + tiny-bert',
    version: [bin('bun'), '--version'],
    command: [
      bin('bun'),
      'test',
      '--tsconfig-override=test/runtimes/bun-tsconfig.json',
      './test/runtimes/bun.ts',
    ],
    reportsOnStderr: true,
    counts: (output) =>
      known({
        passed: number(output, /^ *(\d+) pass$/m),
        skipped: /^ *\d+ skip$/m.test(output) ? number(output, /^ *(\d+) skip$/m) : 0,
        failed: number(output, /^ *(\d+) fail$/m),
      }),
  },
  {
    name: 'deno',
    covers: 'core conformance on Deno.test steps, server under Deno.serve, onnx iris + tiny-bert',
    version: [bin('deno'), '--version'],
    command: [
      bin('deno'),
      'test',
      // Nothing from the network: '@mlkit/*' and their dependencies come from node_modules.
      '--no-remote',
      '--cached-only',
      '--node-modules-dir=manual',
      // tsc checks these files (test/runtimes/runtimes.d.ts); Deno would check dist's .d.ts again.
      '--no-check',
      '--allow-net=127.0.0.1',
      '--allow-read',
      '--allow-env',
      // onnxruntime-node is a Node-API addon: Deno loads it under --allow-ffi.
      '--allow-ffi',
      '--allow-sys',
      'test/runtimes/deno.ts',
    ],
    // "ok | 6 passed (33 steps) | 0 failed | 0 ignored (6 steps)": the checks are the steps.
    counts: (output) => {
      const line = /^(?:ok|FAILED) \|.*$/m.exec(output)?.[0];
      if (!line) return undefined;
      const steps = (pattern: RegExp) => Number(pattern.exec(line)?.[1] ?? 0);
      return known({
        passed: steps(/passed \((\d+) steps?\)/),
        skipped: steps(/ignored \((\d+) steps?\)/),
        failed: steps(/failed \((\d+) steps?\)/),
      });
    },
  },
];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function run(command: string[]): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', DENO_DIR: join(root, 'node_modules', '.cache', 'deno') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    // Colours off (NO_COLOR), and any left stripped, so that the totals can be read.
    const plain = stripVTControlCharacters;
    child.on('close', (code) =>
      resolve({
        code,
        stdout: plain(stdout),
        stderr: plain(stderr),
        seconds: (performance.now() - started) / 1000,
      }),
    );
  });
}

async function runJob(job: Job): Promise<{ ok: boolean; report: string }> {
  // "v22.23.5", "1.4.5", "deno 2.9.6 (stable, ...)"
  const version = /\d+\.\d+\.\d+/.exec((await run(job.version)).stdout)?.[0] ?? 'version unknown';
  const outcome = await run(job.command);
  const output = `${outcome.stdout}\n${outcome.stderr}`;
  const counts = job.counts(job.reportsOnStderr ? output : outcome.stdout);
  const problems = [
    outcome.code !== 0 && `exit code ${outcome.code}`,
    !counts && 'no totals in its output',
    counts && counts.passed === 0 && 'no check passed',
    counts && counts.failed > 0 && `${counts.failed} failed`,
    !job.reportsOnStderr && outcome.stderr.trim() !== '' && 'wrote to stderr (a warning?)',
  ].filter(Boolean);
  const totals = counts
    ? `${counts.passed} passed, ${counts.skipped} skipped, ${counts.failed} failed`
    : 'no totals';
  const line = `runtimes: ${job.name.split(' ')[0]} ${version}: ${totals} in ${outcome.seconds.toFixed(1)} s — ${job.covers}`;
  if (problems.length === 0) return { ok: true, report: line };
  return {
    ok: false,
    report: `${line}\nFAILED (${problems.join('; ')}): ${job.command.join(' ')}\n${output}`,
  };
}

const results = await Promise.all(jobs.map(runJob));
for (const { report } of results) console.log(report);
if (results.some((result) => !result.ok)) process.exitCode = 1;
