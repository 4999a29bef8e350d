// onnxruntime-node and onnxruntime-web are optional peer dependencies: a missing one must be a
// ModelLoadError that names the package to install, not a bare module-resolution error.
import { readFile } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { importOrt } from '../src/import-ort.ts';
import { fixture } from './support.ts';

/** The error Node's ESM loader throws for a package that is not in node_modules. */
function notFound(name: string): Error {
  return Object.assign(
    new Error(`Cannot find package '${name}' imported from /app/node_modules/@mlkit/onnx/dist`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
}

async function failureOf(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but it resolved');
    },
    (error: Error & { code?: string }) => error,
  );
}

describe('importOrt maps a failed import to a ModelLoadError naming the package', () => {
  it('says "npm install onnxruntime-node" when Node cannot find onnxruntime-node', async () => {
    const cause = notFound('onnxruntime-node');
    const error = await failureOf(
      importOrt('onnxruntime-node', () => Promise.reject(cause), 'run ONNX models in Node'),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toBe(
      'onnxruntime-node is not installed: run `npm install onnxruntime-node` to run ONNX models in Node',
    );
    expect(error.cause).toBe(cause);
  });

  it('says "npm install onnxruntime-web" when a browser cannot resolve onnxruntime-web', async () => {
    const cause = new TypeError(
      'Failed to resolve module specifier "onnxruntime-web". Relative references must start with either "/", "./", or "../".',
    );
    const error = await failureOf(
      importOrt('onnxruntime-web', () => Promise.reject(cause), 'run ONNX models in the browser'),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toBe(
      'onnxruntime-web is not installed: run `npm install onnxruntime-web` to run ONNX models in the browser',
    );
  });

  it('finds the missing package in a wrapped error (a bundler or test runner re-throwing with a cause)', async () => {
    const wrapped = new Error('import failed', { cause: notFound('onnxruntime-node') });
    const error = await failureOf(
      importOrt('onnxruntime-node', () => Promise.reject(wrapped), 'run ONNX models in Node'),
    );
    expect(error.message).toMatch(/^onnxruntime-node is not installed: run `npm install onnxruntime-node`/);
  });

  it('says the installed package could not be loaded, and still how to install it, when its native binding fails', async () => {
    const cause = new Error('libonnxruntime.so.1: cannot open shared object file: No such file or directory');
    const error = await failureOf(
      importOrt('onnxruntime-node', () => Promise.reject(cause), 'run ONNX models in Node'),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toBe(
      'onnxruntime-node could not be loaded (libonnxruntime.so.1: cannot open shared object file: No such file or directory): reinstall it with `npm install onnxruntime-node` (it must match this platform) to run ONNX models in Node',
    );
  });

  it('does not claim onnxruntime-node is missing when one of its own dependencies is', async () => {
    const error = await failureOf(
      importOrt(
        'onnxruntime-node',
        () => Promise.reject(notFound('onnxruntime-common')),
        'run ONNX models in Node',
      ),
    );
    expect(error.message).toMatch(
      /^onnxruntime-node could not be loaded \(Cannot find package 'onnxruntime-common'/,
    );
    expect(error.message).toContain('npm install onnxruntime-node');
  });

  it('rejects a module without InferenceSession (an unsupported version) with the package name', async () => {
    const error = await failureOf(
      importOrt('onnxruntime-web', async () => ({ version: '0.1' }), 'run models'),
    );
    expect(error.code).toBe('model_load');
    expect(error.message).toMatch(/^onnxruntime-web loaded but exports no InferenceSession\/Tensor/);
  });

  it('accepts a module whose API is on its default export (CommonJS interop)', async () => {
    const api = { InferenceSession: { create: vi.fn() }, Tensor: class {}, env: {} };
    await expect(importOrt('onnxruntime-node', async () => ({ default: api }), 'run models')).resolves.toBe(
      api,
    );
  });
});

describe('loadModel without the runtime package installed', () => {
  it('rejects with "npm install onnxruntime-node" from the Node entry point', async () => {
    vi.resetModules();
    vi.doMock('onnxruntime-node', () => {
      throw notFound('onnxruntime-node');
    });
    try {
      const { loadModel } = await import('../src/index.node.ts');
      const error = await failureOf(loadModel(fixture('iris-classifier'), { task: 'tensor' }));
      expect(error.code).toBe('model_load');
      expect(error.message).toMatch(/^onnxruntime-node is not installed: run `npm install onnxruntime-node`/);
    } finally {
      vi.doUnmock('onnxruntime-node');
      vi.resetModules();
    }
  });

  it('rejects with "npm install onnxruntime-web" from the browser entry point', async () => {
    vi.resetModules();
    vi.doMock('onnxruntime-web', () => {
      throw notFound('onnxruntime-web');
    });
    try {
      const { loadModel } = await import('../src/index.web.ts');
      const bytes = new Uint8Array(await readFile(fixture('iris-classifier', 'model.onnx')));
      const error = await failureOf(loadModel(bytes, { task: 'tensor' }));
      expect(error.code).toBe('model_load');
      expect(error.message).toMatch(/^onnxruntime-web is not installed: run `npm install onnxruntime-web`/);
    } finally {
      vi.doUnmock('onnxruntime-web');
      vi.resetModules();
    }
  });
});
