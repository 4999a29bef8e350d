import type { ModelProvider } from '@mlkit/core';
import type { LoadModel } from './load.ts';
import type { LoadOptions } from './options.ts';

declare module '@mlkit/core' {
  interface ProviderOptionsByScheme {
    /** `createModel('onnx:./models/x', options)` takes loadModel()'s options. */
    onnx: LoadOptions;
  }
}

/** The provider of the `onnx:` scheme. */
export interface OnnxProvider extends ModelProvider {
  readonly scheme: 'onnx';
}

/** The `onnx:` scheme for `createModel('onnx:./models/x')`, over a runtime's `loadModel`. */
export function createProvider(loadModel: LoadModel): OnnxProvider {
  return {
    scheme: 'onnx',
    create: (id, options) => loadModel(id, options as LoadOptions),
  };
}
