import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../fixtures/paths.ts';

const run = promisify(execFile);

/** What an example printed and how it exited. */
export interface ExampleRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `node examples/<name>/main.ts` from the repository root, as a user would. Examples import
 * the packages by name, which resolve to their built `dist/` (not the sources), so a missing
 * build fails here with the command that fixes it.
 */
export async function runExample(
  name: string,
  env: Record<string, string | undefined> = {},
): Promise<ExampleRun> {
  for (const entry of ['dist/index.js', 'packages/onnx/dist/index.node.js', 'packages/server/dist/node.js']) {
    if (!existsSync(join(repoRoot, entry))) {
      throw new Error(
        `${entry} is missing: the examples run the built packages; run \`npm run build\` first`,
      );
    }
  }
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  try {
    const { stdout, stderr } = await run(process.execPath, [join('examples', name, 'main.ts')], {
      cwd: repoRoot,
      env: childEnv as NodeJS.ProcessEnv,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
