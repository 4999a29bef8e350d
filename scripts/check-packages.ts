// Package checks for every published package: publint, are-the-types-wrong (ESM-only profile), and an
// import of the packed tarballs from a plain Node ESM script in a fresh folder. Run after the build.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packageDirs = [
  root,
  ...readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name)),
].filter((dir) => {
  try {
    return !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private;
  } catch {
    return false;
  }
});
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const run = (cmd: string, args: string[], cwd = root) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const work = mkdtempSync(join(tmpdir(), 'mlkit-pack-'));
const tarballs: Record<string, string> = {};
let failed = false;
try {
  for (const dir of packageDirs) {
    const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name as string;
    const file = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], dir))[0]
      .filename as string;
    tarballs[name] = join(work, file);
    for (const [tool, args] of [
      ['publint', ['run', '--strict', tarballs[name]!]],
      ['attw', [tarballs[name]!, '--profile', 'esm-only', '--format', 'table-flipped']],
    ] as const) {
      try {
        const out = run(bin(tool), [...args]);
        console.log(`ok   ${tool} ${name}${out.trim() ? `\n${out.trim()}` : ''}`);
      } catch (error) {
        failed = true;
        console.log(`FAIL ${tool} ${name}\n${(error as { stdout?: string }).stdout ?? error}`);
      }
    }
  }

  // The packed tarballs install into a fresh project and import from plain ESM.
  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...Object.values(tarballs)], app);
  writeFileSync(
    join(app, 'check.mjs'),
    `import * as core from '@mlkit/core';
import * as http from '@mlkit/core/http';
const missing = ['createModel', 'defineModel', 'InvalidInputError', 'textGeneration', 'createOpenAICompatible']
  .filter((name) => !(name in core));
if (missing.length) throw new Error('@mlkit/core is missing exports: ' + missing.join(', '));
if (typeof http.createTransport !== 'function') throw new Error('@mlkit/core/http lacks createTransport');
const error = new core.InvalidInputError('x');
if (!(error instanceof core.MlkitError) || error.code !== 'invalid_input') throw new Error('error hierarchy broken');
for (const name of ${JSON.stringify(Object.keys(tarballs).filter((n) => n !== '@mlkit/core'))}) await import(name);
console.log('ok   packed tarballs import in plain Node ESM:', ${JSON.stringify(Object.keys(tarballs).join(', '))});
`,
  );
  console.log(run('node', ['check.mjs'], app).trim());
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
