// OIP v2 inference for vision models: UINT8 [N, H, W, C] pixels and BYTES encoded files (JSON
// base64 and the binary extension's raw bytes, as tritonclient sends them), the answers' tensors,
// metadata, and core's OIP client against the server over HTTP.
import { createOpenInference, InvalidInputError } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { describe, expect, it } from 'vitest';
import { fakeClassifier, fakeDetector, png } from './vision-models.ts';

function setup() {
  const classifier = fakeClassifier();
  const detector = fakeDetector();
  const server = createServer({ models: { vit: classifier.model, detr: detector.model }, batching: false });
  return { server, classifier, detector };
}

const postJson = (server: ReturnType<typeof setup>['server'], path: string, body: unknown) =>
  server.fetch(
    new Request(`http://mlkit.test${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );

describe('OIP v2 infer for image-classification models', () => {
  it('reads UINT8 [N, H, W, C] pixels and answers labels + scores [N, K]', async () => {
    const { server, classifier } = setup();
    const response = await postJson(server, '/v2/models/vit/infer', {
      inputs: [{ name: 'image', datatype: 'UINT8', shape: [2, 1, 2, 3], data: Array(12).fill(5) }],
      parameters: { top_k: 1 },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.outputs).toEqual([
      { name: 'labels', datatype: 'BYTES', shape: [2, 1], data: ['pixels-2x1x3', 'pixels-2x1x3'] },
      { name: 'scores', datatype: 'FP32', shape: [2, 1], data: [0.75, 0.75] },
    ]);
    expect(classifier.seen).toHaveLength(2);
  });

  it('reads BYTES of base64 files in JSON', async () => {
    const { server } = setup();
    const response = await postJson(server, '/v2/models/vit/infer', {
      inputs: [
        { name: 'INPUT', datatype: 'BYTES', shape: [1], data: [Buffer.from(png(21)).toString('base64')] },
      ],
    });
    expect((await response.json()).outputs[0].data[0]).toBe('png-21');
  });

  it("reads BYTES of raw files in the binary extension, as tritonclient's set_data_from_numpy sends them", async () => {
    const { server } = setup();
    const file = png(33);
    const element = Buffer.concat([Buffer.from(Uint32Array.of(file.byteLength).buffer), Buffer.from(file)]);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: 'image',
            datatype: 'BYTES',
            shape: [1],
            parameters: { binary_data_size: element.byteLength },
          },
        ],
        outputs: [{ name: 'labels' }],
      }),
    );
    const response = await server.fetch(
      new Request('http://mlkit.test/v2/models/vit/infer', {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': String(header.byteLength),
        },
        body: Buffer.concat([header, element]),
      }),
    );
    expect(response.status).toBe(200);
    expect((await response.json()).outputs).toEqual([
      { name: 'labels', datatype: 'BYTES', shape: [1, 2], data: ['png-33', 'other'] },
    ]);
  });

  it("answers 400 with the model's message for bytes it cannot decode", async () => {
    const { server } = setup();
    const response = await postJson(server, '/v2/models/vit/infer', {
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['AAECAw=='] }],
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/cannot be decoded/);
  });

  it('answers 400 naming the tensor for pixels of a wrong shape', async () => {
    const { server } = setup();
    const response = await postJson(server, '/v2/models/vit/infer', {
      inputs: [{ name: 'image', datatype: 'UINT8', shape: [4], data: [1, 2, 3, 4] }],
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/body\.inputs\[0\]\.shape/);
  });

  it('describes the image input and outputs in the model metadata', async () => {
    const { server } = setup();
    const metadata = await (await server.fetch(new Request('http://mlkit.test/v2/models/detr'))).json();
    expect(metadata.inputs).toEqual([{ name: 'image', datatype: 'UINT8', shape: [-1, -1, -1, -1] }]);
    expect(metadata.outputs.map((o: { name: string }) => o.name)).toEqual([
      'boxes',
      'scores',
      'labels',
      'detection_count',
    ]);
  });
});

describe("core's OIP client against the server over HTTP", () => {
  it('classifies and detects, JSON and binary, pixels and files', async () => {
    const { server, detector } = setup();
    const listening = await listen(server, { port: 0, host: '127.0.0.1' });
    try {
      for (const binary of [false, true]) {
        const oip = createOpenInference({
          baseURL: `http://127.0.0.1:${listening.port}`,
          binary,
          maxRetries: 0,
        });
        const pixels = { data: new Uint8Array(2 * 2 * 4), width: 2, height: 2, channels: 4 as const };
        expect(
          (await oip.imageClassification('vit').run({ image: [pixels, pixels], topK: 1 })).predictions,
        ).toEqual([[{ label: 'pixels-2x2x4', score: 0.75 }], [{ label: 'pixels-2x2x4', score: 0.75 }]]);
        expect(
          (await oip.imageClassification('vit').run({ image: new Blob([png(50)]) })).predictions[0]![0],
        ).toEqual({
          label: 'png-50',
          score: 0.75,
        });
        const { detections } = await oip.objectDetection('detr').run({ image: [png(60), png(61)] });
        expect(detections).toEqual([
          [{ label: 'png-60', score: expect.closeTo(0.9, 6), box: { xmin: 1, ymin: 2, xmax: 3, ymax: 4 } }],
          [{ label: 'png-61', score: expect.closeTo(0.9, 6), box: { xmin: 1, ymin: 2, xmax: 3, ymax: 4 } }],
        ]);
        expect(
          (await oip.objectDetection('detr').run({ image: png(60), threshold: 0.95 })).detections,
        ).toEqual([[]]);
      }
      expect(detector.seen.every((image) => image instanceof Uint8Array)).toBe(true);
      const oip = createOpenInference({ baseURL: `http://127.0.0.1:${listening.port}`, maxRetries: 0 });
      await expect(oip.imageClassification('vit').run({ image: new Uint8Array([1]) })).rejects.toThrow(
        InvalidInputError,
      );
    } finally {
      await listening.close();
    }
  });
});
