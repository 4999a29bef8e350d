import type { ModelProvider } from '@mlkit/core';
import type { LoadModel } from './load.ts';

/** The `onnx:` scheme for `createModel('onnx:./models/x')`, over a runtime's `loadModel`. */
export function createProvider(loadModel: LoadModel): ModelProvider {
  return {
    scheme: 'onnx',
    create: (id, options) => loadModel(id, options as Parameters<LoadModel>[1]),
  };
}
