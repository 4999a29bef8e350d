/**
 * @mlkit/onnx for Node: mlkit tasks in-process on onnxruntime-node.
 *
 * @example
 * import { loadModel } from '@mlkit/onnx';
 * const model = await loadModel('./models/all-MiniLM-L6-v2', { task: 'embedding' });
 * const { embeddings } = await model.run({ texts: ['hello'] });
 *
 * @module @mlkit/onnx
 */
import { registerProvider } from '@mlkit/core';
import { createLoader, type LoadModel } from './load.ts';
import { createProvider, type OnnxProvider } from './provider.ts';
import { nodeRuntime } from './runtime.node.ts';

export type { OnnxProvider } from './provider.ts';
export * from './public.ts';

/** Load a model folder, `.onnx` file, URL or bytes as a mlkit Model (onnxruntime-node). */
export const loadModel: LoadModel = createLoader(nodeRuntime);

/** The `onnx:` scheme of `createModel('onnx:./models/x')`; importing this package registers it. */
export const onnxProvider: OnnxProvider = createProvider(loadModel);

// The one side effect of this package (listed in package.json `sideEffects`, so bundlers keep it).
registerProvider(onnxProvider);
