// Package checks for every published package: publint, are-the-types-wrong (ESM-only profile), an
// import of the packed tarballs from a plain Node ESM script in a fresh folder, and the README's top
// snippet, unchanged, in that folder: typechecked under --strict against the packed types, then run
// on a local ONNX model (`onnx:`) and against an @mlkit/server on 127.0.0.1 (`openai-compatible:`).
// Run after the build.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureFixtures, fixturePath } from '../test/fixtures/paths.ts';

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

/** The README's first ```ts block, the snippet a user copies first. */
function readmeSnippet(): string {
  const snippet = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'))?.[1];
  if (!snippet) throw new Error('README.md has no ```ts block');
  return snippet;
}

/** Runs the snippet in `app` with `env` added; it must exit 0 and print text. */
function runSnippet(app: string, label: string, env: Record<string, string>): void {
  const out = execFileSync(process.execPath, ['readme.ts'], {
    cwd: app,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (out.trim() === '') throw new Error(`the README snippet printed nothing with ${label}`);
  console.log(`ok   README snippet with ${label} printed ${JSON.stringify(out.slice(0, 40))}`);
}

/** Starts the app's serve.mjs (an @mlkit/server on 127.0.0.1:0) and waits for the URL it prints. */
async function startServer(
  app: string,
  modelDir: string,
  apiKey: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['serve.mjs', modelDir], {
    cwd: app,
    env: { ...process.env, API_KEY: apiKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = once(createInterface({ input: child.stdout! }), 'line').then(([line]) => String(line));
  const url = await Promise.race([firstLine, once(child, 'exit').then(() => undefined)]);
  if (url === undefined) throw new Error('serve.mjs exited before it listened');
  return { url, child };
}

const work = mkdtempSync(join(tmpdir(), 'mlkit-pack-'));
const tarballs: Record<string, string> = {};
let server: ChildProcess | undefined;
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
  // onnxruntime-node at the version this repository tests with; its CPU build needs no install script.
  const ortVersion = JSON.parse(
    readFileSync(join(root, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'),
  ).version as string;
  // ai at the version this repository tests @mlkit/ai-sdk with.
  const aiVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'ai', 'package.json'), 'utf8'))
    .version as string;
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--prefer-offline',
      ...Object.values(tarballs),
      `onnxruntime-node@${ortVersion}`,
      `ai@${aiVersion}`,
    ],
    app,
  );
  writeFileSync(
    join(app, 'check.mjs'),
    `import * as core from '@mlkit/core';
import * as http from '@mlkit/core/http';
import * as protocols from '@mlkit/core/protocols';
const missing = ['createModel', 'defineModel', 'InvalidInputError', 'textGeneration', 'createOpenAICompatible']
  .filter((name) => !(name in core));
if (missing.length) throw new Error('@mlkit/core is missing exports: ' + missing.join(', '));
if (typeof http.createTransport !== 'function') throw new Error('@mlkit/core/http lacks createTransport');
// The wire mappings live in @mlkit/core/protocols only, so that no app's first load carries them.
for (const name of ['oipWire', 'openaiWire', 'predictWire', 'tfServingWire']) {
  if (typeof protocols[name] !== 'object') throw new Error('@mlkit/core/protocols lacks ' + name);
  if (name in core) throw new Error('@mlkit/core still exports ' + name + ' (its home is @mlkit/core/protocols)');
}
const error = new core.InvalidInputError('x');
if (!(error instanceof core.MlkitError) || error.code !== 'invalid_input') throw new Error('error hierarchy broken');
for (const name of ${JSON.stringify(Object.keys(tarballs).filter((n) => n !== '@mlkit/core' && n !== '@mlkit/cli'))}) await import(name); // @mlkit/cli: a bin, checked below
console.log('ok   packed tarballs import in plain Node ESM:', ${JSON.stringify(Object.keys(tarballs).join(', '))});
`,
  );
  console.log(run('node', ['check.mjs'], app).trim());
  // The CLI as a user runs it from the packed tarball: npx finds the installed `mlkit` bin.
  if (!run('npx', ['--no', '--', 'mlkit', '--help'], app).includes('compare'))
    throw new Error('npx mlkit --help lacks compare');
  console.log('ok   npx mlkit --help from the packed @mlkit/cli');

  // @mlkit/core/testing from the tarball: test/external-provider's provider passes the suite under
  // node:test (typechecked first), and the main entry's files never load the suite.
  for (const file of ['provider.ts', 'conformance.node.ts']) {
    writeFileSync(join(app, file), readFileSync(join(root, 'test', 'external-provider', file)));
  }
  const types = ['--typeRoots', join(root, 'node_modules', '@types'), '--types', 'node'];
  const strict = ['--strict', '--noEmit', '--skipLibCheck', '--allowImportingTsExtensions'];
  run(
    bin('tsc'),
    [...strict, '--module', 'nodenext', '--target', 'es2023', ...types, 'conformance.node.ts'],
    app,
  );
  run('node', ['conformance.node.ts'], app);
  // dist/ holds one file per module: the suite must live in dist/testing/ alone, and no other file may
  // import from there.
  const coreDist = join(app, 'node_modules', '@mlkit', 'core', 'dist');
  for (const file of readdirSync(coreDist, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.js') || file.startsWith(`testing${sep}`)) continue;
    const code = readFileSync(join(coreDist, file), 'utf8');
    if (code.includes('ConformanceError') || /from "[^"]*\/testing\//.test(code)) {
      throw new Error(
        `dist/${file} holds or imports the conformance suite: @mlkit/core's main entry would load it`,
      );
    }
  }
  console.log('ok   an external provider passes @mlkit/core/testing from the packed tarball (node:test)');

  // The README's top snippet, unchanged, against the packed packages.
  writeFileSync(join(app, 'readme.ts'), readmeSnippet());
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2023',
        module: 'nodenext',
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: ['readme.ts'],
    }),
  );
  run(bin('tsc'), ['-p', 'tsconfig.json'], app);
  console.log('ok   README snippet typechecks under --strict against the packed types');

  ensureFixtures();
  const modelDir = fixturePath('tiny-gpt');
  runSnippet(app, `MLKIT_MODEL=onnx:${modelDir}`, { MLKIT_MODEL: `onnx:${modelDir}` });

  // The packed @mlkit/ai-sdk in the real ai: generateText on the local ONNX model answers.
  writeFileSync(
    join(app, 'ai-sdk.mjs'),
    `import { fromMlkit } from '@mlkit/ai-sdk';
import { loadModel } from '@mlkit/onnx';
import { generateText } from 'ai';
const local = await loadModel(process.argv[2], { task: 'text-generation' });
const { text, finishReason } = await generateText({ model: fromMlkit(local), prompt: 'Hello', maxOutputTokens: 8 });
if (!text) throw new Error('generateText({ model: fromMlkit(local) }) gave no text (' + finishReason + ')');
console.log('ok   generateText({ model: fromMlkit(local) }) from the packed @mlkit/ai-sdk answered', JSON.stringify(text.slice(0, 20)));
await local.dispose();
`,
  );
  console.log(run('node', ['ai-sdk.mjs', modelDir], app).trim());

  writeFileSync(
    join(app, 'serve.mjs'),
    `import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
const model = await loadModel(process.argv[2], { task: 'text-generation' });
const { url, close } = await listen(createServer({ models: { 'tiny-gpt': model }, apiKeys: [process.env.API_KEY] }), { port: 0 });
console.log(url);
process.once('SIGTERM', () => close().then(() => process.exit(0)));
`,
  );
  const apiKey = `sk-check-${process.pid}-${Date.now()}`;
  const started = await startServer(app, modelDir, apiKey);
  server = started.child;
  runSnippet(app, 'MLKIT_MODEL=openai-compatible:tiny-gpt and MLKIT_BASE_URL', {
    MLKIT_MODEL: 'openai-compatible:tiny-gpt',
    MLKIT_BASE_URL: `${started.url}/v1`,
    MLKIT_API_KEY: apiKey,
  });
  // `npx mlkit compare` of the local model against the same model behind the server prints its table.
  writeFileSync(
    join(app, 'prompts.jsonl'),
    '{"prompt": "Hello", "maxTokens": 4, "temperature": 0}\n{"prompt": "Hi", "maxTokens": 4, "temperature": 0}\n',
  );
  const env = { ...process.env, MLKIT_BASE_URL: `${started.url}/v1`, MLKIT_API_KEY: apiKey };
  const args = [
    '--no',
    '--',
    'mlkit',
    'compare',
    `local=onnx:${modelDir}`,
    'hosted=openai-compatible:tiny-gpt',
  ];
  const table = execFileSync('npx', [...args, '--data', 'prompts.jsonl'], {
    cwd: app,
    env,
    encoding: 'utf8',
  });
  if (!/^hosted +2 +0 .* 1 \(2\)$/m.test(table)) throw new Error(`npx mlkit compare printed:\n${table}`);
  console.log('ok   npx mlkit compare of onnx: and openai-compatible: printed its table');
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
