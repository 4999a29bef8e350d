/**
 * What the page and its test (test/browser/browser.test.ts) agree on: the inputs the page runs and the
 * shape of the results it leaves on `window.__mlkit`.
 */
import type { LabelScore, Prediction } from '@mlkit/core';

/** Iris feature rows (sepal length, sepal width, petal length, petal width in cm): one of each species and a borderline one. */
export const irisRows: number[][] = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
  [6.3, 2.8, 5.1, 1.5],
];

/** Texts the embedding model turns into vectors. */
export const texts: string[] = [
  'hello world',
  'The cat sat on the mat.',
  'I love this movie, it was wonderful!',
];

/** Model folders the page fetches, relative to the page: copied from test/fixtures/models by vite.config.ts. */
export const modelFolders = {
  classification: 'models/iris-classifier/',
  embedding: 'models/tiny-bert/',
  imageClassification: 'models/tiny-vit/',
} as const;

/**
 * The files of the iris folder, so that loading it requests just these: without the list, a URL folder is
 * probed for `onnx/model.onnx` first (where Hugging Face repos keep it) and this one answers 404.
 */
export const irisFiles: string[] = ['config.json', 'model.onnx'];

/** The files of the tiny-vit folder (a transformers export: the model under `onnx/`), for the same reason. */
export const vitFiles: string[] = ['config.json', 'preprocessor_config.json', 'onnx/model.onnx'];

/** The image the image-classification panel classifies first, relative to the page (from test/fixtures/media). */
export const sampleImage = 'samples/shapes.png';

/** Labels the image-classification panel shows per image, best first. */
export const imageTopK = 3;

/** Where the page's onnxruntime-web files (.mjs + .wasm) are served, relative to the page. */
export const ortFolder = 'ort/';

/** Where one model ran, and why there. */
export interface DeviceReport {
  device: string;
  deviceReason: string;
  loadMs: number;
}

/** What the page exposes on `window.__mlkit` once it is done (or failed). */
export interface PageResults {
  status: 'running' | 'done' | 'error';
  error?: string;
  classification?: DeviceReport & { predictions: Prediction[] };
  embedding?: DeviceReport & { dimensions: number; embeddings: number[][]; norms: number[] };
  /** The image last classified (the sample, then each one picked or dropped): its name and top labels. */
  imageClassification?: DeviceReport & { image: string; predictions: LabelScore[] };
  /** Images classified so far (1 after the sample); each pick or drop adds one. */
  imageRuns?: number;
  /** Why the last picked or dropped image could not be classified. */
  imageError?: string;
  /** Whether the page is cross-origin isolated (COOP/COEP headers), which WASM threads need. */
  crossOriginIsolated?: boolean;
  /** onnxruntime-web's WASM thread count once the first session started (1 without isolation). */
  wasmThreads?: number;
}

/** WASM threads the page asks for: granted only when it is cross-origin isolated. */
export const wasmThreads = 2;
