import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ModelLoadError } from '@mlkit/core';
import { importOrt } from './import-ort.ts';
import type { LoaderRuntime } from './load.ts';
import { decodeAudio } from './media/audio.node.ts';
import { decodeImage, nodeImageResizer } from './media/image-decode.node.ts';
import type { Ort } from './ort.ts';
import type { Device, DeviceChoice, DownloadCache, LocalFolder } from './runtime.ts';
import { openWorkerSession } from './worker/worker-session.ts';

/** onnxruntime-node, imported on first load; a missing install is a ModelLoadError naming the package. */
function loadOrt(): Promise<Ort> {
  return importOrt('onnxruntime-node', () => import('onnxruntime-node'), 'run ONNX models in Node');
}

async function chooseDevice(requested: Device): Promise<DeviceChoice> {
  switch (requested) {
    case 'auto':
      return {
        device: 'cpu',
        reason:
          "auto in Node: onnxruntime-node's CPU execution provider (ask for device 'cuda' to use a GPU)",
        executionProviders: ['cpu'],
      };
    case 'cpu':
      return { device: 'cpu', reason: "device 'cpu' was asked for", executionProviders: ['cpu'] };
    case 'cuda':
      return {
        device: 'cuda',
        reason: "device 'cuda' was asked for",
        executionProviders: ['cuda', 'cpu'],
        failureHint:
          "CUDA needs an NVIDIA driver and onnxruntime-node's CUDA 12 libraries, which its install script downloads only when asked (ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node); or use device 'cpu'",
      };
    case 'webgpu':
      return {
        device: 'webgpu',
        reason: "device 'webgpu' was asked for (onnxruntime-node's experimental WebGPU execution provider)",
        executionProviders: ['webgpu', 'cpu'],
        failureHint:
          "WebGPU in Node needs a GPU with Vulkan (Linux), Metal or D3D12 drivers; or use device 'cpu'",
      };
    case 'wasm':
      throw new ModelLoadError(
        "device 'wasm' is onnxruntime-web's; in Node use device 'cpu' (or 'auto'), or import the browser build",
      );
  }
}

async function isFile(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return undefined;
  }
}

function localFolder(root: string): LocalFolder {
  return {
    pathOf: (name) => join(root, name),
    async readFile(name) {
      try {
        const buffer = await readFile(join(root, name));
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new ModelLoadError(`Cannot read ${join(root, name)}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    async listModels() {
      const out: string[] = [];
      for (const sub of ['', 'onnx']) {
        const entries = await readdir(join(root, sub)).catch(() => [] as string[]);
        for (const entry of entries) if (entry.endsWith('.onnx')) out.push(sub ? `${sub}/${entry}` : entry);
      }
      return out;
    },
  };
}

async function openLocal(path: string): Promise<{ folder: LocalFolder; modelFile?: string } | undefined> {
  const absolute = resolve(path);
  const kind = await isFile(absolute);
  if (kind === undefined) return undefined;
  if (!kind) return { folder: localFolder(absolute) };
  // An .onnx file: its config and tokenizer live beside it, or one level up for the HF `onnx/` layout.
  let root = dirname(absolute);
  if (basename(root) === 'onnx' && (await isFile(join(root, 'config.json'))) === undefined)
    root = dirname(root);
  return { folder: localFolder(root), modelFile: relative(root, absolute).split('\\').join('/') };
}

function toUrl(source: string): URL | undefined {
  if (!/^(https?|file|blob|data):/i.test(source)) return undefined;
  try {
    return new URL(source);
  } catch {
    return undefined;
  }
}

/** Downloads as files named by the URL's hash; written to a temp file and renamed, so a crash never leaves half a model. */
async function openCache(cacheDir: string | undefined): Promise<DownloadCache | undefined> {
  const dir = resolve(cacheDir ?? process.env.MLKIT_CACHE_DIR ?? join(homedir(), '.cache', 'mlkit', 'onnx'));
  const fileOf = (url: string) => {
    const hash = createHash('sha256').update(url).digest('hex').slice(0, 32);
    const name = basename(new URL(url).pathname).replace(/[^\w.-]/g, '_') || 'index';
    return join(dir, `${hash}-${name}`);
  };
  return {
    async get(url) {
      const file = fileOf(url);
      try {
        const buffer = await readFile(file);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch {
        return undefined;
      }
    },
    async put(url, bytes) {
      await mkdir(dir, { recursive: true });
      const file = fileOf(url);
      const temp = `${file}.${randomUUID()}.tmp`;
      try {
        await writeFile(temp, bytes);
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
  };
}

/**
 * The onnxruntime-node runtime: CPU by default, CUDA or WebGPU when asked, files from disk, a cache
 * directory, sessions in worker threads when asked.
 */
export const nodeRuntime: LoaderRuntime = {
  loadOrt,
  chooseDevice,
  threadOptions: (_ort, threads) => (threads ? { intraOpNumThreads: threads } : {}),
  concurrentRuns: true,
  images: { decode: decodeImage, resizer: nodeImageResizer },
  decodeAudio,
  openLocal,
  toUrl,
  openCache,
  openWorkerSession,
};
