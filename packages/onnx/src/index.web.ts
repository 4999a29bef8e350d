/**
 * @mlkit/onnx for browsers: mlkit tasks in-process on onnxruntime-web (WebGPU when an adapter
 * exists, else WASM).
 *
 * @example
 * import { loadModel } from '@mlkit/onnx';
 * const model = await loadModel('/models/sentiment/', { onProgress: (e) => console.log(e.file, e.loaded, e.total) });
 */
import { registerProvider } from '@mlkit/core';
import { createLoader, type LoadModel } from './load.ts';
import { createProvider, type OnnxProvider } from './provider.ts';
import { webRuntime } from './runtime.web.ts';

export type { OnnxProvider } from './provider.ts';
export * from './public.ts';

/** Load a model folder URL, `.onnx` URL or bytes as a mlkit Model (onnxruntime-web). */
export const loadModel: LoadModel = createLoader(webRuntime);

/** The `onnx:` scheme of `createModel('onnx:/models/x/')`; importing this package registers it. */
export const onnxProvider: OnnxProvider = createProvider(loadModel);

// The one side effect of this package (listed in package.json `sideEffects`, so bundlers keep it).
registerProvider(onnxProvider);
