import { oipWire } from '@mlkit/core/protocols';
import { describe, expect, it } from 'vitest';

const { imageClassificationMapping: ic, objectDetectionMapping: od } = oipWire;
const context = { modelName: 'vision' };
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0xfe]);

/** A request through the wire and back, as the server reads it. */
function throughWire(request: oipWire.TensorRequest, binary: boolean) {
  const { body, headers } = oipWire.encodeInferRequest(request, { binary });
  const length = headers['inference-header-content-length'];
  const { header, tail } = oipWire.splitBody(body, length, 'header');
  return oipWire.decodeInferRequest(oipWire.parseJsonLossless(new TextDecoder().decode(header)), tail)
    .request;
}

describe('OIP v2 image inputs', () => {
  it('sends raw pixels as UINT8 [N, H, W, C] and reads them back per image', () => {
    const a = { data: new Uint8Array(2 * 1 * 3).fill(7), width: 2, height: 1, channels: 3 as const };
    const b = { data: new Uint8Array(2 * 1 * 3).fill(9), width: 2, height: 1, channels: 3 as const };
    const request = ic.encodeRequest({ image: [a, b], topK: 2 }, context);
    expect(request.inputs[0]!.name).toBe('image');
    expect(request.inputs[0]!.tensor.dtype).toBe('uint8');
    expect(request.inputs[0]!.tensor.shape).toEqual([2, 1, 2, 3]);
    for (const binary of [false, true]) {
      const decoded = ic.decodeRequest(throughWire(request, binary), context);
      expect(decoded.topK).toBe(2);
      const images = decoded.image as { data: Uint8Array; width: number }[];
      expect(images.map((image) => [...image.data])).toEqual([[...a.data], [...b.data]]);
      expect(images[1]!.width).toBe(2);
    }
  });

  it('sends encoded files as BYTES: base64 in JSON, the bytes themselves in binary', () => {
    const request = od.encodeRequest({ image: png, threshold: 0.3 }, context);
    const json = JSON.parse(new TextDecoder().decode(oipWire.encodeInferRequest(request).body));
    expect(json.inputs[0]).toMatchObject({
      datatype: 'BYTES',
      shape: [1],
      data: [Buffer.from(png).toString('base64')],
    });
    const binary = oipWire.encodeInferRequest(request, { binary: true }).body;
    expect(Buffer.from(binary).includes(Buffer.from(png))).toBe(true);
    for (const mode of [false, true]) {
      const decoded = od.decodeRequest(throughWire(request, mode), context);
      expect(decoded.threshold).toBe(0.3);
      expect([...(decoded.image as Uint8Array[])[0]!]).toEqual([...png]);
    }
  });

  it("names the input as the model's metadata does", () => {
    const metadata = {
      name: 'resnet',
      inputs: [{ name: 'INPUT0', datatype: 'BYTES' as const, shape: [-1] }],
    };
    expect(ic.encodeRequest({ image: png, topK: 1 }, { ...context, metadata }).inputs[0]!.name).toBe(
      'INPUT0',
    );
  });

  it('refuses raw images of different sizes in one call, naming the image', () => {
    const a = { data: new Uint8Array(3), width: 1, height: 1, channels: 3 as const };
    const b = { data: new Uint8Array(6), width: 2, height: 1, channels: 3 as const };
    expect(() => ic.encodeRequest({ image: [a, b], topK: 1 }, context)).toThrow(
      /input\.image\[1\].*same width/,
    );
  });

  it('refuses an http URL on the client: OIP carries bytes', () => {
    expect(() => ic.encodeRequest({ image: 'https://example.com/cat.png', topK: 1 }, context)).toThrow(
      /not URLs/,
    );
  });

  it('reads a data: URL as the bytes it holds', () => {
    const url = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    const request = ic.encodeRequest({ image: url, topK: 1 }, context);
    expect([...(ic.decodeRequest(request, context).image as Uint8Array[])[0]!]).toEqual([...png]);
  });

  it('refuses a BYTES element that is not base64 in JSON with its path', () => {
    const request = {
      inputs: [{ name: 'image', tensor: { dtype: 'string' as const, shape: [1], data: ['not base64!'] } }],
    };
    expect(() => ic.decodeRequest(request, context)).toThrow(/body\.inputs\[0\]\.data\[0\]/);
  });

  it('refuses pixels that are not [N, H, W, C] with C 1, 3 or 4', () => {
    const request = {
      inputs: [
        { name: 'image', tensor: { dtype: 'uint8' as const, shape: [1, 2, 2, 2], data: new Uint8Array(8) } },
      ],
    };
    expect(() => ic.decodeRequest(request, context)).toThrow(/UINT8 \[N, H, W, C\]/);
  });
});

describe('OIP v2 image-classification answers', () => {
  it('round-trips labels + scores [N, K], a shorter row padded and read back as it was', () => {
    const output = {
      predictions: [
        [
          { label: 'cat', score: 0.75 },
          { label: 'dog', score: 0.25 },
        ],
        [{ label: 'car', score: 0.5 }],
      ],
      usage: {},
    };
    const response = ic.encodeResponse(output, context);
    expect(response.outputs.map((o) => [o.name, o.tensor.shape])).toEqual([
      ['labels', [2, 2]],
      ['scores', [2, 2]],
    ]);
    expect(ic.decodeResponse(response, context)).toEqual(output);
  });

  it("reads Triton's classification extension strings, naming indices from labels when absent", () => {
    const response = {
      outputs: [
        {
          name: 'fc6_1',
          tensor: { dtype: 'string' as const, shape: [1, 2], data: ['15.35:282:tiger cat', '13.2:285'] },
        },
      ],
    };
    const labels = Array.from({ length: 300 }, (_, i) => `class-${i}`);
    expect(ic.decodeResponse(response, { ...context, labels }).predictions).toEqual([
      [
        { label: 'tiger cat', score: 15.35 },
        { label: 'class-285', score: 13.2 },
      ],
    ]);
  });

  it('ranks a bare scores [N, C] output with the class names of parameters.labels', () => {
    const response = {
      outputs: [
        {
          name: 'probs',
          tensor: { dtype: 'float32' as const, shape: [1, 3], data: Float32Array.from([0.25, 0.5, 0.25]) },
          parameters: { labels: ['a', 'b', 'c'] },
        },
      ],
    };
    expect(ic.decodeResponse(response, context).predictions[0]![0]).toEqual({ label: 'b', score: 0.5 });
  });

  it('names the outputs it got when none fits', () => {
    const response = {
      outputs: [{ name: 'x', tensor: { dtype: 'int32' as const, shape: [1], data: Int32Array.from([1]) } }],
    };
    expect(() => ic.decodeResponse(response, context)).toThrow(/x int32 \[1\]/);
  });
});

describe('OIP v2 object-detection answers', () => {
  it('round-trips boxes [N, K, 4], scores, labels and detection_count, including an image with none', () => {
    const output = {
      detections: [
        [
          { label: 'cat', score: 0.875, box: { xmin: 1, ymin: 2, xmax: 30, ymax: 40 } },
          { label: 'dog', score: 0.5, box: { xmin: 5, ymin: 6, xmax: 7, ymax: 8 } },
        ],
        [],
      ],
      usage: {},
    };
    const response = od.encodeResponse(output, context);
    expect(response.outputs.find((o) => o.name === 'boxes')!.tensor.shape).toEqual([2, 2, 4]);
    const { body } = oipWire.encodeInferResponse({ ...response, modelName: 'vision' });
    expect(od.decodeResponse(oipWire.decodeInferResponse(body, null, 'oip'), context)).toEqual(output);
  });

  it("reads TensorFlow's detection outputs with class ids named by labels", () => {
    const response = {
      outputs: [
        {
          name: 'detection_boxes',
          tensor: {
            dtype: 'float32' as const,
            shape: [1, 2, 4],
            data: Float32Array.from([1, 2, 3, 4, 0, 0, 0, 0]),
          },
        },
        {
          name: 'detection_scores',
          tensor: { dtype: 'float32' as const, shape: [1, 2], data: Float32Array.from([0.5, 0]) },
        },
        {
          name: 'detection_classes',
          tensor: { dtype: 'float32' as const, shape: [1, 2], data: Float32Array.from([1, 0]) },
        },
        {
          name: 'num_detections',
          tensor: { dtype: 'float32' as const, shape: [1], data: Float32Array.from([1]) },
        },
      ],
    };
    expect(od.decodeResponse(response, { ...context, labels: ['bg', 'person'] }).detections).toEqual([
      [{ label: 'person', score: 0.5, box: { xmin: 1, ymin: 2, xmax: 3, ymax: 4 } }],
    ]);
  });
});

describe('OIP v2 metadata of vision models', () => {
  it('describes the image input and the outputs of each task', () => {
    const capabilities = { streaming: false, batching: true, local: true };
    const ic = oipWire.modelMetadata({ modelName: 'vit', task: 'image-classification', capabilities });
    expect(ic.inputs).toEqual([{ name: 'image', datatype: 'UINT8', shape: [-1, -1, -1, -1] }]);
    expect(ic.outputs!.map((o) => o.name)).toEqual(['labels', 'scores']);
    const od = oipWire.modelMetadata({ modelName: 'detr', task: 'object-detection', capabilities });
    expect(od.outputs!.map((o) => `${o.name}:${o.datatype}`)).toEqual([
      'boxes:FP32',
      'scores:FP32',
      'labels:BYTES',
      'detection_count:INT32',
    ]);
  });
});
