import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The media-decoding test page, built from the workspace sources (test/browser/media-decode.test.ts). */
export default defineConfig({
  root: here('.'),
  appType: 'mpa',
  resolve: {
    alias: [
      { find: /^@mlkit\/core\/http$/, replacement: here('../../../../src/http/index.ts') },
      { find: /^@mlkit\/core$/, replacement: here('../../../../src/index.ts') },
    ],
  },
});
