import { loadModel } from '@mlkit/onnx';
import * as ort from 'onnxruntime-web';
import {
  irisFiles,
  irisRows,
  modelFolders,
  ortFolder,
  type PageResults,
  texts,
  wasmThreads,
} from './shared.ts';

declare global {
  interface Window {
    __mlkit: PageResults;
  }
}

// onnxruntime-web loads its .mjs and .wasm from this app (vite.config.ts copies them), never from a CDN.
// It is a global setting, read when the first session starts.
ort.env.wasm.wasmPaths = new URL(ortFolder, document.baseURI).href;

const results: PageResults = { status: 'running' };
window.__mlkit = results;

function show(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element) element.textContent = text;
}

const norm = (vector: ArrayLike<number>) => Math.hypot(...Array.from(vector));

async function classify(): Promise<void> {
  const model = await loadModel(new URL(modelFolders.classification, document.baseURI), {
    task: 'classification',
    device: 'auto',
    files: irisFiles,
    threads: wasmThreads,
    onProgress: (event) => show('progress', `iris-classifier: ${event.file} ${event.loaded} bytes`),
  });
  try {
    const { predictions } = await model.run({ rows: irisRows });
    const { device, deviceReason, loadMs } = model.describe();
    results.classification = { device, deviceReason, loadMs, predictions };
    results.crossOriginIsolated = crossOriginIsolated;
    results.wasmThreads = ort.env.wasm.numThreads;
    show('classification', JSON.stringify(predictions, null, 2));
    show('device', `${device} (${deviceReason})`);
  } finally {
    await model.dispose();
  }
}

async function embed(): Promise<void> {
  const model = await loadModel(new URL(modelFolders.embedding, document.baseURI), {
    task: 'embedding',
    device: 'auto',
    onProgress: (event) => show('progress', `tiny-bert: ${event.file} ${event.loaded} bytes`),
  });
  try {
    const { embeddings, dimensions } = await model.run({ texts });
    const { device, deviceReason, loadMs } = model.describe();
    const vectors = embeddings.map((vector) => Array.from(vector));
    const norms = vectors.map(norm);
    results.embedding = { device, deviceReason, loadMs, dimensions, embeddings: vectors, norms };
    show(
      'embedding',
      texts
        .map((text, i) => `${JSON.stringify(text)}: ${dimensions} dims, norm ${norms[i]!.toFixed(6)}`)
        .join('\n'),
    );
  } finally {
    await model.dispose();
  }
}

try {
  await classify();
  await embed();
  results.status = 'done';
  show('progress', '');
  show('status', 'done');
} catch (error) {
  results.status = 'error';
  results.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  show('status', `error: ${results.error}`);
}
