// Vision models over Hugging Face inference-style endpoints: image bytes POSTed raw (Content-Type
// image/*) or JSON {"inputs": base64}, answers [{label, score}] and [{label, score, box}].
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createModel,
  createPredictImageClassification,
  createPredictObjectDetection,
  UnsupportedError,
} from '../../../src/index.ts';
import { predictWire } from '../../../src/protocols/index.ts';
import { mockServer } from '../openai-compatible/support.ts';

const URL = 'http://hf.test/models/google/vit-base-patch16-224';
const server = mockServer();
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 9, 9]);

interface Seen {
  contentType: string | null;
  bytes: Uint8Array;
  query: string;
}

function answer(reply: (seen: Seen) => unknown) {
  const seen: Seen[] = [];
  server.use(
    http.post(URL, async ({ request }) => {
      const entry = {
        contentType: request.headers.get('content-type'),
        bytes: new Uint8Array(await request.arrayBuffer()),
        query: new globalThis.URL(request.url).search,
      };
      seen.push(entry);
      return HttpResponse.json(reply(entry) as object);
    }),
  );
  return seen;
}

const labelsFor = (seen: Seen) =>
  seen.contentType === 'image/png'
    ? [
        { label: 'tabby cat', score: 0.25 },
        { label: 'tiger cat', score: 0.5 },
        { label: 'lynx', score: 0.125 },
      ]
    : [{ label: 'car', score: 0.75 }];

describe('image classification over an HF inference-style endpoint', () => {
  it('POSTs each image raw with its image/* type and returns per image its labels, best first, topK kept', async () => {
    const seen = answer(labelsFor);
    const model = createPredictImageClassification({ url: URL, maxRetries: 0 });
    const { predictions } = await model.run({ image: [png, jpeg], topK: 2 });
    expect(seen.map((s) => s.contentType)).toEqual(['image/png', 'image/jpeg']);
    expect([...seen[0]!.bytes]).toEqual([...png]);
    expect(predictions).toEqual([
      [
        { label: 'tiger cat', score: 0.5 },
        { label: 'tabby cat', score: 0.25 },
      ],
      [{ label: 'car', score: 0.75 }],
    ]);
  });

  it('sends topK of a raw upload as the top_k query parameter, and nothing when JSON carries it', async () => {
    const seen = answer(labelsFor);
    await createPredictImageClassification({ url: URL, maxRetries: 0 }).run({ image: png, topK: 2 });
    await createPredictImageClassification({ url: URL, upload: 'json', maxRetries: 0 }).run({
      image: png,
      topK: 2,
    });
    expect(seen.map((s) => s.query)).toEqual(['?top_k=2', '']);
  });

  it("upload: 'json' sends {inputs: base64, parameters: {top_k}}", async () => {
    const seen = answer(() => [{ label: 'x', score: 1 }]);
    await createPredictImageClassification({ url: URL, upload: 'json', maxRetries: 0 }).run({
      image: png,
      topK: 3,
    });
    expect(seen[0]!.contentType).toBe('application/json');
    expect(JSON.parse(new TextDecoder().decode(seen[0]!.bytes))).toEqual({
      inputs: Buffer.from(png).toString('base64'),
      parameters: { top_k: 3 },
    });
  });

  it('sends a URL image as {"inputs": url}', async () => {
    const seen = answer(() => [{ label: 'x', score: 1 }]);
    await createPredictImageClassification({ url: URL, maxRetries: 0 }).run({
      image: 'https://example.com/cat.png',
    });
    expect(JSON.parse(new TextDecoder().decode(seen[0]!.bytes)).inputs).toBe('https://example.com/cat.png');
  });

  it('refuses raw pixels by name before any request', async () => {
    const seen = answer(() => []);
    const pixels = { data: new Uint8Array(3), width: 1, height: 1, channels: 3 as const };
    await expect(
      createPredictImageClassification({ url: URL, maxRetries: 0 }).run({ image: pixels }),
    ).rejects.toThrow(UnsupportedError);
    expect(seen).toHaveLength(0);
  });

  it('refuses an answer that is not [{label, score}]', async () => {
    answer(() => ({ prediction: 'cat' }));
    await expect(
      createPredictImageClassification({ url: URL, maxRetries: 0 }).run({ image: png }),
    ).rejects.toThrow(/response|valid/i);
  });

  it('createModel("predict:...", { task: "image-classification" }) makes the same model', async () => {
    answer(labelsFor);
    const model = await createModel(`predict:${URL}`, { task: 'image-classification', maxRetries: 0 });
    expect(model.task).toBe('image-classification');
    const output = (await model.run({ image: png, topK: 1 } as never)) as { predictions: unknown };
    expect(output.predictions).toEqual([[{ label: 'tiger cat', score: 0.5 }]]);
  });
});

describe('object detection over an HF inference-style endpoint', () => {
  it('sends the threshold as a query parameter and returns [{label, score, box}] per image, below-threshold ones dropped', async () => {
    const seen = answer(() => [
      { label: 'cat', score: 0.9, box: { xmin: 1, ymin: 2, xmax: 30, ymax: 40 } },
      { label: 'remote', score: 0.3, box: { xmin: 5, ymin: 5, xmax: 6, ymax: 6 } },
    ]);
    const { detections } = await createPredictObjectDetection({ url: URL, maxRetries: 0 }).run({
      image: png,
      threshold: 0.5,
    });
    expect(seen[0]!.query).toBe('?threshold=0.5');
    expect(detections).toEqual([
      [{ label: 'cat', score: 0.9, box: { xmin: 1, ymin: 2, xmax: 30, ymax: 40 } }],
    ]);
  });
});

describe('the predict wire for vision, both directions', () => {
  it('round-trips a request and a response of each task', () => {
    const ic = predictWire.imageClassificationMapping;
    const request = ic.encodeRequest({ image: [png, jpeg], topK: 4 }, {});
    const decoded = ic.decodeRequest(request, {});
    expect(decoded.topK).toBe(4);
    expect((decoded.image as Uint8Array[]).map((b) => [...b])).toEqual([[...png], [...jpeg]]);
    const predictions = [[{ label: 'a', score: 0.5 }], [{ label: 'b', score: 0.25 }]];
    expect(ic.decodeResponse(ic.encodeResponse({ predictions, usage: {} }, {}), {}).predictions).toEqual(
      predictions,
    );
    const od = predictWire.objectDetectionMapping;
    const detections = [[{ label: 'a', score: 0.5, box: { xmin: 0, ymin: 1, xmax: 2, ymax: 3 } }]];
    const single = od.encodeResponse({ detections, usage: {} }, { single: true });
    expect(single).toEqual(detections[0]);
    expect(od.decodeResponse(single, {}).detections).toEqual(detections);
  });

  it('names the bad base64 field of a request', () => {
    expect(() =>
      predictWire.imageClassificationMapping.decodeRequest({ inputs: ['aGk=', 'not base64!'] }, {}),
    ).toThrow(/body\.inputs\[1\]/);
  });
});
