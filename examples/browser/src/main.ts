import { loadModel } from '@mlkit/onnx';
import * as ort from 'onnxruntime-web';
import {
  imageTopK,
  irisFiles,
  irisRows,
  modelFolders,
  ortFolder,
  type PageResults,
  sampleImage,
  texts,
  vitFiles,
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

/**
 * The image-classification panel: tiny-vit classifies the sample image, then every image picked in
 * `#image-file` or dropped on `#image-drop`. The model stays loaded for them.
 */
async function classifyImages(): Promise<void> {
  const model = await loadModel(new URL(modelFolders.imageClassification, document.baseURI), {
    task: 'image-classification',
    device: 'auto',
    files: vitFiles,
    onProgress: (event) => show('progress', `tiny-vit: ${event.file} ${event.loaded} bytes`),
  });
  const preview = document.getElementById('image-preview') as HTMLImageElement;
  let previewUrl: string | undefined;

  /** Classify one image (a File, or the sample's Blob) and show it with its top labels. */
  async function classifyImage(image: Blob, name: string): Promise<void> {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(image);
    preview.src = previewUrl;
    preview.alt = name;
    const { predictions } = await model.run({ image, topK: imageTopK });
    const { device, deviceReason, loadMs } = model.describe();
    results.imageClassification = { device, deviceReason, loadMs, image: name, predictions: predictions[0]! };
    results.imageRuns = (results.imageRuns ?? 0) + 1;
    show(
      'image-classification',
      `${name}\n${predictions[0]!.map(({ label, score }) => `${label}: ${score.toFixed(4)}`).join('\n')}`,
    );
  }

  /** A picked or dropped file; a failure shows in the panel and leaves the page usable. */
  function onImage(file: File | undefined): void {
    if (!file) return;
    classifyImage(file, file.name).catch((error: unknown) => {
      results.imageError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      show('image-classification', `${file.name}: ${results.imageError}`);
    });
  }

  const response = await fetch(new URL(sampleImage, document.baseURI));
  if (!response.ok) throw new Error(`${sampleImage}: HTTP ${response.status}`);
  await classifyImage(await response.blob(), sampleImage.split('/').pop()!);

  const input = document.getElementById('image-file') as HTMLInputElement;
  input.addEventListener('change', () => onImage(input.files?.[0]));
  const drop = document.getElementById('image-drop')!;
  drop.addEventListener('dragover', (event) => event.preventDefault());
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    onImage(event.dataTransfer?.files[0]);
  });
}

try {
  await classify();
  await embed();
  await classifyImages();
  results.status = 'done';
  show('progress', '');
  show('status', 'done');
} catch (error) {
  results.status = 'error';
  results.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  show('status', `error: ${results.error}`);
}
