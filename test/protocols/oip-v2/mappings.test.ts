// Both halves of each OIP v2 mapping agree: decodeRequest(encodeRequest(x)) ≈ x and
// decodeResponse(encodeResponse(y)) ≈ y, over JSON and over binary messages.
import { describe, expect, it } from 'vitest';
import { type Tensor, UnsupportedError } from '../../../src/index.ts';
import { oipWire } from '../../../src/protocols/index.ts';
import { tensorFromBytes, tensorToBytes } from '../../../src/protocols/oip-v2/binary.ts';
import { fromFloat16Bits, toFloat16Bits } from '../../../src/protocols/oip-v2/float16.ts';

const { oipV2, generateMapping } = oipWire;
const context = { modelName: 'm' };

/** A request as the server reads it after the client wrote it, through the bytes of a real body. */
function overTheWire(request: oipWire.TensorRequest, binary: boolean): oipWire.TensorRequest {
  const { body, headers } = oipWire.encodeInferRequest(request, { binary });
  const { header, tail } = oipWire.splitBody(body, headers['inference-header-content-length'], 'header');
  const json = oipWire.parseJsonLossless(new TextDecoder().decode(header));
  return oipWire.decodeInferRequest(json, tail).request;
}

function responseOverTheWire(response: oipWire.TensorResponse, binary: boolean): oipWire.TensorResponse {
  const { body, headers } = oipWire.encodeInferResponse({ ...response, modelName: 'm' }, () => binary);
  return oipWire.decodeInferResponse(body, headers['inference-header-content-length'], 'test');
}

const ALL: Record<string, Tensor> = {
  bool: { dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0) },
  uint8: { dtype: 'uint8', shape: [2], data: Uint8Array.of(0, 255) },
  uint16: { dtype: 'uint16', shape: [1], data: Uint16Array.of(65535) },
  uint32: { dtype: 'uint32', shape: [1], data: Uint32Array.of(4294967295) },
  uint64: { dtype: 'uint64', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
  int8: { dtype: 'int8', shape: [2], data: Int8Array.of(-128, 127) },
  int16: { dtype: 'int16', shape: [1], data: Int16Array.of(-32768) },
  int32: { dtype: 'int32', shape: [2, 1], data: Int32Array.of(-5, 6) },
  int64: { dtype: 'int64', shape: [2], data: BigInt64Array.of(-(2n ** 63n), 9007199254740993n) },
  float16: { dtype: 'float16', shape: [2], data: Uint16Array.of(toFloat16Bits(0.5), toFloat16Bits(-65504)) },
  float32: { dtype: 'float32', shape: [2], data: Float32Array.of(0.25, -3) },
  float64: { dtype: 'float64', shape: [1], data: Float64Array.of(0.1) },
  string: { dtype: 'string', shape: [2], data: ['héllo', ''] },
};

describe.each([false, true])('OIP v2 tensor mapping (binary: %s)', (binary) => {
  it('carries every datatype exactly, request and response', () => {
    const input = { inputs: ALL, outputs: ['int64', 'string'] };
    const request = overTheWire(oipV2.tasks.tensor.encodeRequest(input, context), binary);
    expect(oipV2.tasks.tensor.decodeRequest(request, context)).toEqual(input);
    const output = { outputs: ALL, usage: {} };
    const response = responseOverTheWire(oipV2.tasks.tensor.encodeResponse(output, context), binary);
    expect(oipV2.tasks.tensor.decodeResponse(response, context)).toEqual(output);
  });
});

describe.each([false, true])('OIP v2 task mappings (binary: %s)', (binary) => {
  it('classification rows and predictions', () => {
    const mapping = oipV2.tasks.classification;
    const input = {
      rows: [
        [1.5, 2],
        [3, 4.25],
      ],
    };
    expect(
      mapping.decodeRequest(overTheWire(mapping.encodeRequest(input, context), binary), context),
    ).toEqual(input);
    const output = {
      predictions: [
        { label: 'b', score: 0.7, scores: { a: 0.1, b: 0.7, c: 0.2 } },
        { label: 'a', score: 0.6, scores: { a: 0.6, b: 0.3, c: 0.1 } },
      ],
      usage: {},
    };
    const response = responseOverTheWire(mapping.encodeResponse(output, context), binary);
    expect(mapping.decodeResponse(response, context)).toEqual(output);
  });

  it('classification texts', () => {
    const mapping = oipV2.tasks.classification;
    const input = { text: ['good', 'bad'] };
    expect(
      mapping.decodeRequest(overTheWire(mapping.encodeRequest(input, context), binary), context),
    ).toEqual(input);
  });

  it('embedding texts and vectors', () => {
    const mapping = oipV2.tasks.embedding;
    const input = { texts: ['a', 'b c'] };
    expect(
      mapping.decodeRequest(overTheWire(mapping.encodeRequest(input, context), binary), context),
    ).toEqual(input);
    const output = {
      embeddings: [Float32Array.of(0.5, 1), Float32Array.of(-1, 0.25)],
      dimensions: 2,
      usage: {},
    };
    const response = responseOverTheWire(mapping.encodeResponse(output, context), binary);
    expect(mapping.decodeResponse(response, context)).toEqual(output);
  });

  it('text generation as text_input / text_output tensors', () => {
    const mapping = oipV2.tasks['text-generation'];
    const input = { prompt: 'Hi', maxTokens: 4, temperature: 0 };
    expect(
      mapping.decodeRequest(overTheWire(mapping.encodeRequest(input, context), binary), context),
    ).toEqual(input);
    const output = { text: 'there', finishReason: 'stop' as const, usage: {} };
    const response = responseOverTheWire(mapping.encodeResponse(output, context), binary);
    expect(mapping.decodeResponse(response, context)).toEqual(output);
  });
});

describe('OIP v2 generate extension mapping', () => {
  it('round-trips a prompt with sampling and the text with its finish reason', () => {
    const input = { prompt: 'Hi', maxTokens: 4, topP: 0.5, stop: ['\n'] };
    const request = generateMapping.encodeRequest(input, context);
    expect(request).toEqual({ text_input: 'Hi', parameters: { max_tokens: 4, top_p: 0.5, stop: ['\n'] } });
    expect(generateMapping.decodeRequest(request, context)).toEqual(input);
    const output = { text: 'there', finishReason: 'length' as const, usage: {} };
    expect(generateMapping.decodeResponse(generateMapping.encodeResponse(output, context), context)).toEqual(
      output,
    );
  });

  it('refuses a conversation of several turns with UnsupportedError', () => {
    const input = {
      messages: [
        { role: 'system' as const, content: 'Be brief' },
        { role: 'user' as const, content: 'Hi' },
      ],
    };
    expect(() => generateMapping.encodeRequest(input, context)).toThrow(UnsupportedError);
  });
});

describe('OIP v2 binary tensors and float16', () => {
  it('writes BYTES elements with 4-byte little-endian length prefixes', () => {
    const bytes = tensorToBytes({ dtype: 'string', shape: [2], data: ['ab', 'é'] });
    expect([...bytes]).toEqual([2, 0, 0, 0, 0x61, 0x62, 2, 0, 0, 0, 0xc3, 0xa9]);
  });

  it('writes FP32 little-endian', () => {
    expect([...tensorToBytes({ dtype: 'float32', shape: [1], data: Float32Array.of(1) })]).toEqual([
      0, 0, 0x80, 0x3f,
    ]);
  });

  it('refuses BYTES data whose length prefix runs past the end', () => {
    expect(() => tensorFromBytes('BYTES', [1], Uint8Array.of(9, 0, 0, 0, 1), 'body.inputs[0].data')).toThrow(
      /body\.inputs\[0\]\.data: BYTES element 0 says 9 bytes/,
    );
  });

  it('rounds half precision to nearest even and back', () => {
    expect(fromFloat16Bits(toFloat16Bits(65504))).toBe(65504);
    expect(fromFloat16Bits(toFloat16Bits(1 + 2 ** -11))).toBe(1); // halfway: to even
    expect(fromFloat16Bits(toFloat16Bits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
  });
});

describe('OIP v2 lossless JSON', () => {
  it('keeps integers beyond 2^53 as their decimal text and leaves others as numbers', () => {
    expect(oipWire.parseJsonLossless('[9007199254740993, 1.5, 42, 1e300]')).toEqual([
      '9007199254740993',
      1.5,
      42,
      1e300,
    ]);
  });
});
