/**
 * @mlkit/onnx for browsers: mlkit tasks in-process on onnxruntime-web (WebGPU when an adapter
 * exists, else WASM).
 *
 * @example
 * import { loadModel } from '@mlkit/onnx';
 * const model = await loadModel('/models/sentiment/', { onProgress: (e) => console.log(e.file, e.loaded, e.total) });
 */
import type { ModelProvider } from '@mlkit/core';
import { createLoader, type LoadModel } from './load.ts';
import { createProvider } from './provider.ts';
import { webRuntime } from './runtime.web.ts';

export * from './public.ts';

/** Load a model folder URL, `.onnx` URL or bytes as a mlkit Model (onnxruntime-web). */
export const loadModel: LoadModel = createLoader(webRuntime);

/** The `onnx:` scheme: `registerProvider(onnxProvider)`, then `createModel('onnx:/models/x/')`. */
export const onnxProvider: ModelProvider = createProvider(loadModel);
