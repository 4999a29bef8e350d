import { defineConfig } from 'tsup';

// @mlkit/server: ESM + declarations. `index` is web-standard (Node, Bun, Deno, workers); `node` is the Node listener.
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm'],
  target: 'es2023',
  platform: 'neutral',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  treeshake: true,
  // Resolve @mlkit/core as a package (its dist), never bundle it: tsconfig.build.json has no path mapping.
  external: ['@mlkit/core', 'hono', '@hono/node-server', 'zod', /^node:/],
  tsconfig: 'tsconfig.build.json',
  removeNodeProtocol: false,
});
