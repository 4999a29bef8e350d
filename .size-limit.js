// The browser bundle of one OpenAI-compatible chat call (issue 11), as esbuild makes it for a page:
// `esbuild bench/bundle/chat.ts --bundle --minify --format=esm --platform=browser --splitting`, gzipped.
// ESM (not size-limit's default iife) because the entry awaits at the top level, as app code does.
// It bundles what users install: '@mlkit/core' resolves through node_modules/@mlkit/core's exports
// to the built dist/ (one module per file, "sideEffects": false), not through the repository's
// tsconfig paths to src/ (an empty tsconfig), so it runs after the build.
// With code splitting, what mlkit loads only when a call needs it is import()ed: the SSE decoder of
// streams (http/sse.ts) and, in one module (lazy.ts), the JSON Schema checks of tools and json answers
// and the provider's embedding, transcription and speech models. esbuild puts a module shared by the
// entry and lazy chunks into a chunk per set of importers, each gzipped alone, so fewer lazy modules
// mean fewer, larger first chunks. The first check counts what a page loads before its first call: the
// entry chunk and the chunks it imports statically: 29.4 kB, within issue 11's 30 kB. The second
// counts every chunk, each gzipped alone: 44.5 kB.
import { resolve } from 'node:path';

const esm = (config) => ({
  ...config,
  format: 'esm',
  platform: 'browser',
  splitting: true,
  tsconfigRaw: {},
});

/** Drops from the build's outputs every chunk that the entry reaches only through import(). */
const loadedFirst = {
  name: 'loaded-first',
  setup(build) {
    // The app's own entry points (a chunk that import() loads is an entry point of esbuild's too).
    const own = new Set([build.initialOptions.entryPoints].flat().map((path) => resolve(path)));
    build.onEnd(({ metafile }) => {
      if (!metafile) return;
      const outputs = metafile.outputs;
      const entries = Object.keys(outputs).filter((path) => own.has(resolve(outputs[path].entryPoint ?? '')));
      const kept = new Set();
      const visit = (path) => {
        if (kept.has(path)) return;
        kept.add(path);
        for (const { path: next, kind } of outputs[path].imports) {
          if (kind === 'import-statement' && next in outputs) visit(next);
        }
      };
      for (const entry of entries) visit(entry);
      for (const path of Object.keys(outputs)) if (!kept.has(path)) delete outputs[path];
    });
  },
};

export default [
  {
    name: '@mlkit/core: one OpenAI-compatible chat call in a browser, loaded before the call',
    path: 'bench/bundle/chat.ts',
    limit: '30 kB',
    gzip: true,
    modifyEsbuildConfig: (config) => ({ ...esm(config), plugins: [loadedFirst] }),
  },
  {
    name: '@mlkit/core: the same, every chunk (lazy ones included)',
    path: 'bench/bundle/chat.ts',
    limit: '45 kB',
    gzip: true,
    modifyEsbuildConfig: esm,
  },
];
