// The server side of the binary tensor data extension and of compressed request bodies, with
// requests built byte by byte as Triton's document (docs/protocol/extension_binary_data.md) and
// tritonclient's default `set_data_from_numpy` send them.
import { deflateSync, gzipSync } from 'node:zlib';
import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import { fakeChatModel, fakeTensorModel, postJson } from './fakes.ts';

const setup = (maxBodyBytes?: number) =>
  createServer({
    models: { echo: fakeTensorModel().model, 'tiny-gpt': fakeChatModel().model },
    ...(maxBodyBytes && { limits: { maxBodyBytes } }),
  });

const encoder = new TextEncoder();

/** JSON header + binary parts, with Inference-Header-Content-Length. */
function binaryRequest(
  path: string,
  header: unknown,
  parts: Uint8Array[],
  headers: Record<string, string> = {},
) {
  const json = encoder.encode(JSON.stringify(header));
  return new Request(`http://mlkit.test${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(json.byteLength),
      ...headers,
    },
    body: Buffer.concat([json, ...parts]),
  });
}

/** A binary response split into its JSON header and tail. */
async function readBinary(response: Response) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const length = Number(response.headers.get('inference-header-content-length') ?? bytes.byteLength);
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(0, length))),
    tail: bytes.subarray(length),
  };
}

const lengthPrefixed = (...words: string[]) =>
  Buffer.concat(
    words.flatMap((word) => {
      const bytes = encoder.encode(word);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.byteLength);
      return [length, bytes];
    }),
  );

describe('OIP v2 server: binary tensor data extension', () => {
  it('accepts the document’s binary request (UINT32 [2,2], BOOL [3]) and answers JSON unless asked', async () => {
    const response = await setup().fetch(
      binaryRequest(
        '/v2/models/echo/infer',
        {
          model_name: 'echo',
          inputs: [
            { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
            { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
          ],
        },
        [new Uint8Array(Uint32Array.of(1, 2, 3, 4).buffer), Uint8Array.of(1, 0, 1)],
      ),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('inference-header-content-length')).toBeNull();
    const { outputs } = await response.json();
    expect(outputs).toContainEqual({ name: 'input0', datatype: 'UINT32', shape: [2, 2], data: [1, 2, 3, 4] });
    expect(outputs).toContainEqual({
      name: 'input1',
      datatype: 'BOOL',
      shape: [3],
      data: [true, false, true],
    });
    expect(outputs).toContainEqual({ name: 'sum', datatype: 'FP64', shape: [1], data: [12] });
  });

  it('answers outputs in binary for binary_data_output, FP16 and BYTES included', async () => {
    const half = Uint16Array.of(0x3c00, 0xc000); // 1, -2
    const words = lengthPrefixed('héllo', '');
    const response = await setup().fetch(
      binaryRequest(
        '/v2/models/echo/infer',
        {
          parameters: { binary_data_output: true },
          inputs: [
            { name: 'h', shape: [2], datatype: 'FP16', parameters: { binary_data_size: 4 } },
            { name: 's', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: words.length } },
          ],
          outputs: [{ name: 'h' }, { name: 's' }, { name: 'sum', parameters: { binary_data: false } }],
        },
        [new Uint8Array(half.buffer), words],
      ),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const { header, tail } = await readBinary(response);
    expect(header.outputs).toEqual([
      { name: 'h', datatype: 'FP16', shape: [2], parameters: { binary_data_size: 4 } },
      { name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: words.length } },
      { name: 'sum', datatype: 'FP64', shape: [1], data: [-1] },
    ]);
    expect(Buffer.from(tail)).toEqual(Buffer.concat([Buffer.from(half.buffer), words]));
  });

  it('answers 400 naming the input when binary_data_size does not fit its shape', async () => {
    const response = await setup().fetch(
      binaryRequest(
        '/v2/models/echo/infer',
        { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 4 } }] },
        [new Uint8Array(4)],
      ),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain(
      'body.inputs[0].data: has 4 bytes but FP32 shape [2] needs 8',
    );
  });

  it('answers 400 when the binary data is shorter than binary_data_size says', async () => {
    const response = await setup().fetch(
      binaryRequest(
        '/v2/models/echo/infer',
        { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] },
        [new Uint8Array(3)],
      ),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain('binary_data_size');
  });
});

describe('OIP v2 server: compressed request bodies', () => {
  const body = {
    inputs: [{ name: 'x', shape: [3], datatype: 'FP32', data: [1, 2, 3] }],
    outputs: [{ name: 'sum' }],
  };

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ])('reads a %s body', async (encoding, compress) => {
    const response = await setup().fetch(
      new Request('http://mlkit.test/v2/models/echo/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body: compress(Buffer.from(JSON.stringify(body))),
      }),
    );
    expect(response.status).toBe(200);
    expect((await response.json()).outputs).toEqual([
      { name: 'sum', datatype: 'FP64', shape: [1], data: [6] },
    ]);
  });

  it('applies maxBodyBytes to the decompressed size (413 for a small gzip that inflates past it)', async () => {
    const padded = { ...body, id: 'x'.repeat(200_000) };
    const compressed = gzipSync(Buffer.from(JSON.stringify(padded)));
    expect(compressed.byteLength).toBeLessThan(10_000);
    const response = await setup(10_000).fetch(
      new Request('http://mlkit.test/v2/models/echo/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: compressed,
      }),
    );
    expect(response.status).toBe(413);
  });

  it('answers 400 for a body that is not the gzip it says', async () => {
    const response = await setup().fetch(
      new Request('http://mlkit.test/v2/models/echo/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: JSON.stringify(body),
      }),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain('not valid gzip');
  });

  it('answers 415 for an encoding it cannot read', async () => {
    const response = await postJson(setup(), '/v2/models/echo/infer', body, { 'content-encoding': 'br' });
    expect(response.status).toBe(415);
    expect((await response.json()).error).toContain('gzip, deflate');
  });
});

describe('OIP v2 server: generate extension', () => {
  it('answers generate with text_output and model_name', async () => {
    const response = await postJson(setup(), '/v2/models/tiny-gpt/generate', {
      text_input: 'Hello',
      parameters: { max_tokens: 4 },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ model_name: 'tiny-gpt', text_output: expect.any(String) });
  });

  it('answers 400 for generate on a model that is not text-generation', async () => {
    const response = await postJson(setup(), '/v2/models/echo/generate', { text_input: 'Hello' });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain('generate needs a text-generation model');
  });
});
