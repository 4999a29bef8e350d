import { defineConfig } from 'tsup';

// Two entries with one shared chunk: `node` -> onnxruntime-node, browser/default -> onnxruntime-web.
// onnxruntime and @mlkit/core stay imports (peer dependencies), never bundled.
export default defineConfig({
  entry: ['src/index.node.ts', 'src/index.web.ts'],
  format: ['esm'],
  target: 'es2023',
  platform: 'neutral',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  treeshake: true,
  tsconfig: 'tsconfig.build.json',
  removeNodeProtocol: false,
  external: [/^onnxruntime-/, /^@mlkit\/core/, /^@huggingface\//, 'zod', /^node:/],
});
