import type { ImageSource, RawImage } from '@mlkit/core';
import type { DecodeImageOptions } from './media/image-source.ts';
import type { ImageResizer } from './media/image-transform.ts';
import type { Ort, OrtSessionOptions } from './ort.ts';
import type { AudioDecode } from './tasks/context.ts';

/** Where a model may run. `auto` picks WebGPU only when a real adapter exists, else WASM (browser) or CPU (Node). */
export type Device = 'auto' | 'cpu' | 'wasm' | 'webgpu' | 'cuda';

/** The device a runtime chose, and why, in words a log line can carry. */
export interface DeviceChoice {
  device: Exclude<Device, 'auto'>;
  reason: string;
  /** onnxruntime execution providers, in order of preference. */
  executionProviders: OrtSessionOptions['executionProviders'];
  /** What to do when a session cannot start on this device (added to the load error). */
  failureHint?: string;
}

/** Files of one local model folder (Node): names are relative paths inside it. */
export interface LocalFolder {
  readFile(name: string): Promise<Uint8Array | undefined>;
  /** Absolute path of a file in the folder, for runtimes that load a model from a path. */
  pathOf(name: string): string;
  /** Relative paths of the `.onnx` files in the folder and its `onnx/` subfolder. */
  listModels(): Promise<string[]>;
}

/**
 * Cached downloads by URL. Only files that were there are kept: a 404 is never cached, so a file added
 * to a model folder later is found by the next load.
 */
export interface DownloadCache {
  get(url: string): Promise<Uint8Array | undefined>;
  put(url: string, bytes: Uint8Array): Promise<void>;
}

/**
 * What differs between onnxruntime-node and onnxruntime-web. Only `runtime.node.ts` and
 * `runtime.web.ts` implement it; everything else is shared.
 */
export interface Runtime {
  /** Import onnxruntime; rejects with ModelLoadError naming the package when it is not installed. */
  loadOrt(): Promise<Ort>;
  /** Pick the device for `requested` and say why. */
  chooseDevice(requested: Device): Promise<DeviceChoice>;
  /** Session options (and global settings, for the web) for a thread count. */
  threadOptions(ort: Ort, threads: number | undefined): Partial<OrtSessionOptions>;
  /** Whether one session may run concurrently (onnxruntime-web: never). */
  readonly concurrentRuns: boolean;
  /** How images are decoded and resized here (the vision tasks). */
  readonly images: RuntimeImages;
  /** How audio is decoded here (the speech tasks): WAV in Node, Web Audio for other formats in browsers. */
  readonly decodeAudio: AudioDecode;
  /**
   * Open a local model source: a folder, or an `.onnx` file with its folder. Undefined where there is
   * no file system (browsers): every string is then a URL.
   */
  openLocal?(path: string): Promise<{ folder: LocalFolder; modelFile?: string } | undefined>;
  /** Resolve a string source to an absolute URL, or undefined when it is not one. */
  toUrl(source: string): URL | undefined;
  /** The download cache for a cache dir (Node) or Cache API name (browser); undefined when caching is off or impossible. */
  openCache(name: string | undefined): Promise<DownloadCache | undefined>;
}

/** How a runtime reads images: Node decodes with sharp when installed (else pngjs, jpeg-js), browsers with createImageBitmap. */
export interface RuntimeImages {
  decode(source: ImageSource, options?: DecodeImageOptions): Promise<RawImage>;
  /** The resizer preprocessing uses: sharp's in Node when installed (as transformers.js), else pure JS. */
  resizer(): Promise<ImageResizer>;
}
