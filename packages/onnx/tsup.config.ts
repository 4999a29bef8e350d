import { defineConfig } from 'tsup';

// Two package entries with one shared chunk: `node` -> onnxruntime-node, browser/default -> onnxruntime-web.
// onnxruntime and @mlkit/core stay imports (peer dependencies), never bundled.
export default defineConfig({
  // The session worker is an entry of its own: `loadModel(..., { worker: true })` starts it by URL.
  entry: {
    'index.node': 'src/index.node.ts',
    'index.web': 'src/index.web.ts',
    'session-worker': 'src/worker/session-worker.ts',
  },
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
