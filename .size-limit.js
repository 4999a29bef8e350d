// The browser bundle of one OpenAI-compatible chat call (issue 11), as esbuild makes it for a page:
// `esbuild bench/bundle/chat.ts --bundle --minify --format=esm --platform=browser`, gzipped.
// ESM (not size-limit's default iife) because the entry awaits at the top level, as app code does.
// It bundles the sources (tsconfig paths): 44.5 kB with ky and p-retry. The published dist/ bundles to
// 87 kB, because tsup's shared chunks keep a bundler from dropping unused modules; issue 11's 30 kB
// is for what users install, and is not reached yet.
export default [
  {
    name: '@mlkit/core: one OpenAI-compatible chat call in a browser',
    path: 'bench/bundle/chat.ts',
    limit: '45 kB',
    gzip: true,
    modifyEsbuildConfig: (config) => ({ ...config, format: 'esm', platform: 'browser' }),
  },
];
