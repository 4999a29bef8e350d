/**
 * @mlkit/onnx for Node: mlkit tasks in-process on onnxruntime-node.
 *
 * @example
 * import { loadModel } from '@mlkit/onnx';
 * const model = await loadModel('./models/all-MiniLM-L6-v2', { task: 'embedding' });
 * const { embeddings } = await model.run({ texts: ['hello'] });
 */
import type { ModelProvider } from '@mlkit/core';
import { createLoader, type LoadModel } from './load.ts';
import { createProvider } from './provider.ts';
import { nodeRuntime } from './runtime.node.ts';

export * from './public.ts';

/** Load a model folder, `.onnx` file, URL or bytes as a mlkit Model (onnxruntime-node). */
export const loadModel: LoadModel = createLoader(nodeRuntime);

/** The `onnx:` scheme: `registerProvider(onnxProvider)`, then `createModel('onnx:./models/x')`. */
export const onnxProvider: ModelProvider = createProvider(loadModel);
