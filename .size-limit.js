// The browser bundle of one OpenAI-compatible chat call (issue 11), as esbuild makes it for a page:
// `esbuild bench/bundle/chat.ts --bundle --minify --format=esm --platform=browser`, gzipped.
// ESM (not size-limit's default iife) because the entry awaits at the top level, as app code does.
export default [
  {
    name: '@mlkit/core: one OpenAI-compatible chat call in a browser',
    path: 'bench/bundle/chat.ts',
    limit: '35 kB',
    gzip: true,
    modifyEsbuildConfig: (config) => ({ ...config, format: 'esm', platform: 'browser' }),
  },
];
