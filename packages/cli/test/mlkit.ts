import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../test/fixtures/paths.ts';

/** The built bin, run with this repository's node as a user's shell would. */
export const bin = join(repoRoot, 'packages', 'cli', 'dist', 'mlkit.js');

/** What one `mlkit ...` printed and how it exited. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A missing build fails with the command that fixes it. */
export function requireBuild(): void {
  for (const entry of [
    'dist/index.js',
    'packages/onnx/dist/index.node.js',
    'packages/server/dist/node.js',
    'packages/cli/dist/mlkit.js',
  ]) {
    if (!existsSync(join(repoRoot, entry))) {
      throw new Error(
        `${entry} is missing: the CLI tests run the built packages; run \`npm run build\` first`,
      );
    }
  }
}

/** Start `mlkit <args>`. */
export function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Run `mlkit <args>` to its end, with `stdin` written to it. */
export function mlkit(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  const child = start(args, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin!.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
