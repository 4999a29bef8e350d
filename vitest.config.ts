import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the sources: the workspace packages resolve to their src/, not to dist/.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@mlkit\/core\/http$/, replacement: here('./src/http/index.ts') },
      { find: /^@mlkit\/core\/otel$/, replacement: here('./src/otel/index.ts') },
      { find: /^@mlkit\/core\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^@mlkit\/core\/json-schema$/, replacement: here('./src/json-schema/index.ts') },
      { find: /^@mlkit\/core\/protocols$/, replacement: here('./src/protocols/index.ts') },
      { find: /^@mlkit\/core$/, replacement: here('./src/index.ts') },
      { find: /^@mlkit\/onnx$/, replacement: here('./packages/onnx/src/index.node.ts') },
      { find: /^@mlkit\/server\/node$/, replacement: here('./packages/server/src/node.ts') },
      { find: /^@mlkit\/server$/, replacement: here('./packages/server/src/index.ts') },
      { find: /^@mlkit\/ai-sdk$/, replacement: here('./packages/ai-sdk/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
