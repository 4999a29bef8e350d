import { defineConfig } from 'tsup';

// @mlkit/cli: one ESM bin for Node. The workspace packages and dependencies are imported, never bundled.
export default defineConfig({
  entry: { mlkit: 'src/mlkit.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  // A bin, not a library: no declarations.
  dts: false,
  clean: true,
  sourcemap: true,
  splitting: false,
  treeshake: true,
  external: [
    '@mlkit/core',
    '@mlkit/onnx',
    '@mlkit/server',
    '@mlkit/server/node',
    'cli-progress',
    'zod',
    /^node:/,
  ],
  tsconfig: 'tsconfig.build.json',
  removeNodeProtocol: false,
});
