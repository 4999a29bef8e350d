// The shared conformance suite, run against the OIP v2 client's vision models over a loopback @mlkit/server.
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { fakeClassifier, fakeDetector, png } from '../../../packages/server/test/vision-models.ts';
import { createOpenInference, imageClassification, objectDetection } from '../../../src/index.ts';
import { runConformance } from '../../conformance/index.ts';

async function subject() {
  const listening: Listening = await listen(
    createServer({ models: { vit: fakeClassifier().model, detr: fakeDetector().model } }),
    { port: 0, host: '127.0.0.1' },
  );
  let requests = 0;
  const counting: typeof fetch = (url, init) => {
    requests++;
    return fetch(url, init);
  };
  const provider = createOpenInference({ baseURL: listening.url, maxRetries: 0, fetch: counting });
  return { provider, backendCalls: () => requests, cleanup: () => listening.close({ graceMs: 100 }) };
}

const pixels = { data: new Uint8Array(2 * 2 * 3).fill(100), width: 2, height: 2, channels: 3 as const };

runConformance('OIP v2 image classification over a loopback @mlkit/server', {
  task: imageClassification,
  create: async () => {
    const { provider, ...rest } = await subject();
    return { model: provider.imageClassification('vit'), ...rest };
  },
  inputs: [{ image: pixels, topK: 1 }, { image: [png(20), png(21)] }],
});

runConformance('OIP v2 object detection over a loopback @mlkit/server', {
  task: objectDetection,
  create: async () => {
    const { provider, ...rest } = await subject();
    return { model: provider.objectDetection('detr'), ...rest };
  },
  inputs: [{ image: pixels }, { image: [png(20), png(21)], threshold: 0.2 }],
});
