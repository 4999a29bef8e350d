import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const require = createRequire(import.meta.url);

/** The onnxruntime-web files its `ort.min.mjs` build (WASM + WebGPU via JSEP) loads at run time. */
const ortFiles = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];

/**
 * The model folders the page loads: tiny fixtures, generated (`node scripts/fixtures.ts`) or, for
 * tiny-vit, exported and committed (scripts/fixtures/export.sh).
 */
const modelNames = ['iris-classifier', 'tiny-bert', 'tiny-vit'];
const modelsDir = here('../../test/fixtures/models');

/** The sample images the page offers (the image-classification panel's first run), from test/fixtures/media. */
const sampleNames = ['shapes.png'];
const mediaDir = here('../../test/fixtures/media');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** URL path inside the app (no leading slash) -> file on disk, for every file served from outside the app's root. */
function localAssets(): Map<string, string> {
  const assets = new Map<string, string>();
  for (const name of ortFiles) assets.set(`ort/${name}`, require.resolve(`onnxruntime-web/${name}`));
  for (const name of modelNames) {
    const folder = join(modelsDir, name);
    if (!existsSync(folder)) {
      throw new Error(`examples/browser: no model folder ${folder}; run \`node scripts/fixtures.ts\` first`);
    }
    for (const file of filesUnder(folder)) {
      assets.set(`models/${name}/${relative(folder, file).split(sep).join('/')}`, file);
    }
  }
  for (const name of sampleNames) {
    const file = join(mediaDir, name);
    if (!existsSync(file)) throw new Error(`examples/browser: no sample image ${file}`);
    assets.set(`samples/${name}`, file);
  }
  return assets;
}

const contentTypes: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
};

/**
 * Serves onnxruntime-web's .mjs/.wasm under `ort/`, the model folders under `models/` and the sample
 * images under `samples/` from this app:
 * from node_modules and test/fixtures in dev, copied into the build output by `vite build`.
 */
function mlkitLocalAssets(): Plugin {
  let base = '/';
  return {
    name: 'mlkit-local-assets',
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      const assets = localAssets();
      server.middlewares.use((request, response, next) => {
        const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
        const file = path.startsWith(base) ? assets.get(path.slice(base.length)) : undefined;
        if (!file) return next();
        response.setHeader('content-type', contentTypes[extname(file)] ?? 'application/octet-stream');
        createReadStream(file).pipe(response);
      });
    },
    async writeBundle(options) {
      const outDir = options.dir!;
      for (const [path, file] of localAssets()) {
        const target = join(outDir, path);
        await mkdir(dirname(target), { recursive: true });
        await copyFile(file, target);
      }
    },
  };
}

/** Cross-origin isolation, so onnxruntime-web may run WASM threads (SharedArrayBuffer); without it, one thread. */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here('.'),
  server: { headers: isolation },
  preview: { headers: isolation },
  // A missing file is a 404, not index.html (@mlkit/onnx copes with either, but a 404 says more).
  appType: 'mpa',
  resolve: {
    alias: [
      // The workspace sources, so the example needs no `npm run build`; an app uses the published packages.
      { find: /^@mlkit\/core\/http$/, replacement: here('../../src/http/index.ts') },
      { find: /^@mlkit\/core$/, replacement: here('../../src/index.ts') },
      { find: /^@mlkit\/onnx$/, replacement: here('../../packages/onnx/src/index.web.ts') },
    ],
    // onnxruntime-web's build without the .wasm inlined as a bundler asset: it loads the files that
    // `ort.env.wasm.wasmPaths` names (see src/main.ts).
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  build: { outDir: 'dist', emptyOutDir: true },
  plugins: [mlkitLocalAssets()],
});
