// The browser bundle of one OpenAI-compatible chat call (issue 11), as esbuild makes it for a page:
// `esbuild bench/bundle/chat.ts --bundle --minify --format=esm --platform=browser`, gzipped.
// ESM (not size-limit's default iife) because the entry awaits at the top level, as app code does.
// It bundles what users install: '@mlkit/core' resolves through node_modules/@mlkit/core's exports
// to the built dist/ (one module per file, "sideEffects": false), not through the repository's
// tsconfig paths to src/ (an empty tsconfig), so it runs after the build.
export default [
  {
    name: '@mlkit/core: one OpenAI-compatible chat call in a browser',
    path: 'bench/bundle/chat.ts',
    limit: '45 kB',
    gzip: true,
    modifyEsbuildConfig: (config) => ({ ...config, format: 'esm', platform: 'browser', tsconfigRaw: {} }),
  },
];
