import { ModelLoadError } from '@mlkit/core';
import { importOrt } from './import-ort.ts';
import { decodeAudio } from './media/audio.web.ts';
import { decodeImage } from './media/image-decode.web.ts';
import { resizeInJs } from './media/image-transform.ts';
import type { Ort } from './ort.ts';
import type { Device, DeviceChoice, DownloadCache, Runtime } from './runtime.ts';

/** onnxruntime-web, imported on first load; a missing install is a ModelLoadError naming the package. */
function loadOrt(): Promise<Ort> {
  return importOrt('onnxruntime-web', () => import('onnxruntime-web'), 'run ONNX models in the browser');
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** `navigator.gpu` can exist with no usable adapter (blocklisted GPU, headless), so ask for one. */
async function probeWebGpu(): Promise<string | undefined> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) return 'navigator.gpu is not available';
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? undefined : 'navigator.gpu.requestAdapter() returned no adapter';
  } catch (error) {
    return `navigator.gpu.requestAdapter() failed: ${(error as Error).message}`;
  }
}

async function chooseDevice(requested: Device): Promise<DeviceChoice> {
  switch (requested) {
    case 'auto': {
      const missing = await probeWebGpu();
      if (!missing) {
        return {
          device: 'webgpu',
          reason: 'auto: a WebGPU adapter is available',
          executionProviders: ['webgpu', 'wasm'],
        };
      }
      return { device: 'wasm', reason: `auto: WASM because ${missing}`, executionProviders: ['wasm'] };
    }
    case 'webgpu': {
      const missing = await probeWebGpu();
      if (missing)
        throw new ModelLoadError(`device 'webgpu' was asked for but ${missing}; use device 'auto' or 'wasm'`);
      return { device: 'webgpu', reason: "device 'webgpu' was asked for", executionProviders: ['webgpu'] };
    }
    case 'wasm':
      return { device: 'wasm', reason: "device 'wasm' was asked for", executionProviders: ['wasm'] };
    case 'cpu':
      return {
        device: 'wasm',
        reason: "device 'cpu' runs as WASM with onnxruntime-web",
        executionProviders: ['wasm'],
      };
    case 'cuda':
      throw new ModelLoadError(
        "device 'cuda' needs onnxruntime-node; in a browser use 'auto', 'webgpu' or 'wasm'",
      );
  }
}

function toUrl(source: string): URL | undefined {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(source, base);
  } catch {
    return undefined;
  }
}

interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

/** The Cache API (browsers, service workers); none in runtimes without `caches`. */
async function openCache(name: string | undefined): Promise<DownloadCache | undefined> {
  const storage = (globalThis as { caches?: { open(name: string): Promise<CacheLike> } }).caches;
  if (!storage) return undefined;
  let cache: CacheLike;
  try {
    cache = await storage.open(name ?? 'mlkit-onnx');
  } catch {
    return undefined; // e.g. an opaque origin
  }
  return {
    async get(url) {
      const hit = await cache.match(url);
      // Earlier versions stored 404s as empty entries marked x-mlkit-missing: not a file.
      if (!hit || hit.headers.get('x-mlkit-missing') === '1') return undefined;
      return new Uint8Array(await hit.arrayBuffer());
    },
    async put(url, bytes) {
      const response = new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: { 'content-length': String(bytes.byteLength) },
      });
      await cache.put(url, response);
    },
  };
}

/** The onnxruntime-web runtime: WebGPU when an adapter exists, else WASM; URLs only; the Cache API. */
export const webRuntime: Runtime = {
  loadOrt,
  chooseDevice,
  threadOptions(ort, threads) {
    // A global setting read when the first session starts; without cross-origin isolation it falls back to 1.
    if (threads && ort.env.wasm) ort.env.wasm.numThreads = threads;
    return {};
  },
  concurrentRuns: false,
  images: { decode: decodeImage, resizer: async () => resizeInJs },
  decodeAudio,
  toUrl,
  openCache,
};
