// The shared conformance suite, run against the HF-style predict vision clients over a loopback @mlkit/server.
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { fakeClassifier, fakeDetector, png } from '../../../packages/server/test/vision-models.ts';
import {
  createPredictImageClassification,
  createPredictObjectDetection,
  imageClassification,
  objectDetection,
} from '../../../src/index.ts';
import { runConformance } from '../../conformance/index.ts';

async function subject() {
  const listening: Listening = await listen(
    createServer({ models: { vit: fakeClassifier().model, detr: fakeDetector().model } }),
    { port: 0, host: '127.0.0.1' },
  );
  let requests = 0;
  const fetchCounting: typeof fetch = (url, init) => {
    requests++;
    return fetch(url, init);
  };
  return {
    url: `${listening.url}/predict`,
    fetch: fetchCounting,
    backendCalls: () => requests,
    cleanup: () => listening.close({ graceMs: 100 }),
  };
}

for (const upload of ['raw', 'json'] as const) {
  runConformance(`HF-style image classification (${upload} uploads) over a loopback @mlkit/server`, {
    task: imageClassification,
    create: async () => {
      const { url, fetch, ...rest } = await subject();
      return {
        model: createPredictImageClassification({ url: `${url}/vit`, upload, fetch, maxRetries: 0 }),
        ...rest,
      };
    },
    inputs: [{ image: png(20), topK: 1 }, { image: [png(20), png(21)] }],
  });

  runConformance(`HF-style object detection (${upload} uploads) over a loopback @mlkit/server`, {
    task: objectDetection,
    create: async () => {
      const { url, fetch, ...rest } = await subject();
      return {
        model: createPredictObjectDetection({ url: `${url}/detr`, upload, fetch, maxRetries: 0 }),
        ...rest,
      };
    },
    inputs: [{ image: png(30) }, { image: [png(20), png(21)], threshold: 0.2 }],
  });
}
