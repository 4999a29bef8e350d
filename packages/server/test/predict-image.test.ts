// /predict/{name} for vision models: multipart uploads (field file or image), raw image bytes,
// and HF-style JSON, answered as the HF Inference API answers; upload limits and undecodable files.
import {
  createPredictImageClassification,
  createPredictObjectDetection,
  InvalidInputError,
} from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { describe, expect, it } from 'vitest';
import { fakeClassifier, fakeDetector, png } from './vision-models.ts';

function setup(maxUploadBytes?: number) {
  const classifier = fakeClassifier();
  const detector = fakeDetector();
  const server = createServer({
    models: { vit: classifier.model, detr: detector.model },
    batching: false,
    ...(maxUploadBytes && { limits: { maxUploadBytes } }),
  });
  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    server.fetch(new Request(`http://mlkit.test${path}`, { method: 'POST', body, headers }));
  return { server, classifier, detector, post };
}

const form = (field: string, bytes: Uint8Array, extra: Record<string, string> = {}) => {
  const data = new FormData();
  data.set(field, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'cat.png');
  for (const [name, value] of Object.entries(extra)) data.set(name, value);
  return data;
};

describe('/predict/{name} for image classification', () => {
  it('reads a multipart upload in field "file" and answers [{label, score}]', async () => {
    const { post, classifier } = setup();
    const response = await post('/predict/vit', form('file', png(20), { top_k: '1' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([{ label: 'png-20', score: 0.75 }]);
    expect(classifier.seen[0]).toBeInstanceOf(Uint8Array);
  });

  it('reads a multipart upload in field "image"', async () => {
    const { post } = setup();
    const response = await post('/predict/vit', form('image', png(30)));
    expect((await response.json())[0]).toEqual({ label: 'png-30', score: 0.75 });
  });

  it('reads raw image bytes with Content-Type image/png, top_k from the query', async () => {
    const { post } = setup();
    const response = await post('/predict/vit?top_k=2', png(16) as Uint8Array<ArrayBuffer>, {
      'content-type': 'image/png',
    });
    expect(await response.json()).toEqual([
      { label: 'png-16', score: 0.75 },
      { label: 'other', score: 0.25 },
    ]);
  });

  it('reads HF-style JSON, a list of inputs answered with a list per image', async () => {
    const { post } = setup();
    const inputs = [Buffer.from(png(10)).toString('base64'), Buffer.from(png(11)).toString('base64')];
    const response = await post('/predict/vit', JSON.stringify({ inputs, parameters: { top_k: 1 } }), {
      'content-type': 'application/json',
    });
    expect(await response.json()).toEqual([
      [{ label: 'png-10', score: 0.75 }],
      [{ label: 'png-11', score: 0.75 }],
    ]);
  });

  it("answers 400 with the model's message for bytes it cannot decode", async () => {
    const { post } = setup();
    const response = await post('/predict/vit', new Uint8Array([1, 2, 3]), { 'content-type': 'image/png' });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(/cannot be decoded/);
  });

  it('answers 413 for an upload over limits.maxUploadBytes', async () => {
    const { post, classifier } = setup(64);
    const response = await post('/predict/vit', png(200) as Uint8Array<ArrayBuffer>, {
      'content-type': 'image/png',
    });
    expect(response.status).toBe(413);
    expect(JSON.stringify(await response.json())).toMatch(/maxUploadBytes/);
    expect(classifier.seen).toHaveLength(0);
  });

  it('answers 415 for a body that is neither an image, a form nor JSON', async () => {
    const { post } = setup();
    const response = await post('/predict/vit', 'hello', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
  });

  it('answers 400 naming the field for a form without file or image', async () => {
    const { post } = setup();
    const data = new FormData();
    data.set('other', 'x');
    const response = await post('/predict/vit', data);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/field "file" or "image"/);
  });

  it('answers 400 for a non-numeric top_k', async () => {
    const { post } = setup();
    const response = await post('/predict/vit?top_k=many', png() as Uint8Array<ArrayBuffer>, {
      'content-type': 'image/png',
    });
    expect(response.status).toBe(400);
  });
});

describe('/predict/{name} for object detection', () => {
  it('answers [{label, score, box}] for a raw upload, threshold from the query', async () => {
    const { post } = setup();
    const ok = await post('/predict/detr', png(9) as Uint8Array<ArrayBuffer>, {
      'content-type': 'image/png',
    });
    expect(await ok.json()).toEqual([
      { label: 'png-9', score: 0.9, box: { xmin: 1, ymin: 2, xmax: 3, ymax: 4 } },
    ]);
    const strict = await post('/predict/detr?threshold=0.95', png(9) as Uint8Array<ArrayBuffer>, {
      'content-type': 'image/png',
    });
    expect(await strict.json()).toEqual([]);
  });
});

describe('the core vision predict clients against /predict/{name} over HTTP', () => {
  it('classify and detect with raw and JSON uploads, the same answers as the models give', async () => {
    const { server } = setup();
    const listening = await listen(server, { port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${listening.port}/predict`;
      for (const upload of ['raw', 'json'] as const) {
        const vit = createPredictImageClassification({ url: `${base}/vit`, upload, maxRetries: 0 });
        expect((await vit.run({ image: [png(40), png(41)], topK: 1 })).predictions).toEqual([
          [{ label: 'png-40', score: 0.75 }],
          [{ label: 'png-41', score: 0.75 }],
        ]);
        const detr = createPredictObjectDetection({ url: `${base}/detr`, upload, maxRetries: 0 });
        expect((await detr.run({ image: png(13) })).detections[0]![0]!.label).toBe('png-13');
      }
      const error = await createPredictImageClassification({ url: `${base}/vit`, maxRetries: 0 })
        .run({ image: new Uint8Array([9, 9]) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
    } finally {
      await listening.close();
    }
  });
});
