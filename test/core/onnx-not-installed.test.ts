// Its own file: the mocked import of @mlkit/onnx must not leak into tests that load it for real.
import { describe, expect, it, vi } from 'vitest';
import { createModel, ModelLoadError } from '../../src/index.ts';

vi.mock('@mlkit/onnx', () => {
  throw new Error("Cannot find package '@mlkit/onnx' imported from node_modules/@mlkit/core/dist/index.js");
});

describe('createModel("onnx:...") when @mlkit/onnx is not installed', () => {
  it('fails with a ModelLoadError that says which packages to install', async () => {
    const error = await createModel('onnx:./models/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch('npm install @mlkit/onnx onnxruntime-node');
  });
});
