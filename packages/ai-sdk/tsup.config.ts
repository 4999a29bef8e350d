import { defineConfig } from 'tsup';

// @mlkit/ai-sdk: ESM + declarations, web-standard only (Node, Bun, Deno, browsers, workers).
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  target: 'es2023',
  platform: 'neutral',
  dts: true,
  clean: true,
  sourcemap: true,
  treeshake: true,
  // Resolve @mlkit/core as a package (its dist), never bundle it: tsconfig.build.json has no path mapping.
  external: ['@mlkit/core', '@mlkit/core/http', '@ai-sdk/provider'],
  tsconfig: 'tsconfig.build.json',
});
