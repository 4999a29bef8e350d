// The OIP v2 client against bodies written as the protocol documents write them:
// KServe "Open Inference Protocol (V2)" (kserve.github.io/website/docs/concepts/architecture/data-plane/v2-protocol)
// and Triton's binary tensor data extension (triton-inference-server/server docs/protocol/extension_binary_data.md).
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createModel, createOpenInference, NotFoundError, ServerError } from '../../../src/index.ts';
import { mockServer } from '../openai-compatible/support.ts';

const BASE_URL = 'http://triton.test:8000';
const server = mockServer();
const oip = (binary = false) => createOpenInference({ baseURL: BASE_URL, maxRetries: 0, binary });

/** Records each request: JSON header (split at Inference-Header-Content-Length) and the binary tail. */
function recordInfer(path: string, answer: (header: any, tail: Uint8Array) => Response) {
  const seen: { header: any; tail: Uint8Array; headers: Headers }[] = [];
  server.use(
    http.post(`${BASE_URL}${path}`, async ({ request }) => {
      const bytes = new Uint8Array(await request.arrayBuffer());
      const length = Number(request.headers.get('inference-header-content-length') ?? bytes.byteLength);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, length)));
      const tail = bytes.subarray(length);
      seen.push({ header, tail, headers: request.headers });
      return answer(header, tail);
    }),
  );
  return seen;
}

/** A binary response as the Triton document shows it: JSON, then the tensors' bytes. */
function binaryResponse(header: unknown, ...parts: Uint8Array[]): Response {
  const json = new TextEncoder().encode(JSON.stringify(header));
  return new Response(Buffer.concat([json, ...parts]), {
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(json.length),
    },
  });
}

describe('OIP v2 client: inference', () => {
  it('reads the KServe document’s infer response (nested request data sent flat)', async () => {
    const seen = recordInfer('/v2/models/mymodel/infer', () =>
      HttpResponse.json({
        model_name: 'mymodel',
        id: '42',
        outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', data: [1.0, 1.1, 2.0, 2.1, 3.0, 3.1] }],
      }),
    );
    const { outputs } = await oip()
      .tensor('mymodel')
      .run({
        inputs: { input0: { dtype: 'float32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } },
        outputs: ['output0'],
      });
    expect(seen[0]!.header).toEqual({
      inputs: [{ name: 'input0', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }],
      outputs: [{ name: 'output0' }],
    });
    expect(outputs.output0).toEqual({
      dtype: 'float32',
      shape: [3, 2],
      data: Float32Array.of(1.0, 1.1, 2.0, 2.1, 3.0, 3.1),
    });
  });

  it('sends the Triton document’s binary request: UINT32 [2,2] and BOOL [3] after the JSON, 19 bytes', async () => {
    const seen = recordInfer('/v2/models/mymodel/infer', () =>
      binaryResponse(
        {
          outputs: [
            { name: 'output0', shape: [3, 2], datatype: 'FP32', parameters: { binary_data_size: 24 } },
          ],
        },
        new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6).buffer),
      ),
    );
    const { outputs } = await oip(true)
      .tensor('mymodel')
      .run({
        inputs: {
          input0: { dtype: 'uint32', shape: [2, 2], data: Uint32Array.of(1, 2, 3, 0xffffffff) },
          input1: { dtype: 'bool', shape: [3], data: Uint8Array.of(1, 0, 1) },
        },
        outputs: ['output0'],
      });
    const { header, tail, headers } = seen[0]!;
    expect(headers.get('content-type')).toBe('application/octet-stream');
    expect(header.inputs).toEqual([
      { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
      { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
    ]);
    expect(header.outputs).toEqual([{ name: 'output0', parameters: { binary_data: true } }]);
    expect(tail.byteLength).toBe(19);
    expect(new Uint32Array(tail.slice(0, 16).buffer)).toEqual(Uint32Array.of(1, 2, 3, 0xffffffff));
    expect([...tail.slice(16)]).toEqual([1, 0, 1]);
    // Triton's documented response has no model_name: still read.
    expect(outputs.output0).toEqual({
      dtype: 'float32',
      shape: [3, 2],
      data: Float32Array.of(1, 2, 3, 4, 5, 6),
    });
  });

  it('reads binary BYTES outputs with 4-byte little-endian length prefixes', async () => {
    const words = ['héllo', '', 'wörld'];
    const encoded = words.map((word) => new TextEncoder().encode(word));
    const prefixed = Buffer.concat(
      encoded.flatMap((bytes) => {
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.byteLength);
        return [length, bytes];
      }),
    );
    recordInfer('/v2/models/strings/infer', () =>
      binaryResponse(
        {
          outputs: [
            { name: 'out', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: prefixed.length } },
          ],
        },
        prefixed,
      ),
    );
    const { outputs } = await oip(true)
      .tensor('strings')
      .run({ inputs: { x: { dtype: 'string', shape: [1], data: ['a'] } } });
    expect(outputs.out).toEqual({ dtype: 'string', shape: [3], data: words });
  });

  it('reads JSON INT64 and UINT64 numbers beyond 2^53 as exact BigInts', async () => {
    // Triton writes int64 data as plain JSON numbers; JSON.parse alone would round them.
    const body =
      '{"model_name":"ids","outputs":[{"name":"i","shape":[3],"datatype":"INT64","data":[9007199254740993,-9223372036854775808,7]},' +
      '{"name":"u","shape":[1],"datatype":"UINT64","data":[18446744073709551615]}]}';
    recordInfer(
      '/v2/models/ids/infer',
      () => new Response(body, { headers: { 'content-type': 'application/json' } }),
    );
    const { outputs } = await oip()
      .tensor('ids')
      .run({ inputs: { x: { dtype: 'int64', shape: [1], data: BigInt64Array.of(1n) } } });
    expect(outputs.i!.data).toEqual(BigInt64Array.of(9007199254740993n, -9223372036854775808n, 7n));
    expect(outputs.u!.data).toEqual(BigUint64Array.of(18446744073709551615n));
  });

  it('classifies rows with the input name and datatype of the model metadata, read once', async () => {
    let metadataReads = 0;
    server.use(
      http.get(`${BASE_URL}/v2/models/iris`, () => {
        metadataReads++;
        return HttpResponse.json({
          name: 'iris',
          versions: ['1'],
          platform: 'sklearn',
          inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, 4] }],
          outputs: [],
        });
      }),
    );
    // MLServer's sklearn runtime answers `predict` with class indices.
    const seen = recordInfer('/v2/models/iris/infer', () =>
      HttpResponse.json({
        model_name: 'iris',
        outputs: [{ name: 'predict', shape: [2, 1], datatype: 'INT64', data: [0, 2] }],
      }),
    );
    const model = oip().classification('iris', { labels: ['setosa', 'versicolor', 'virginica'] });
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ];
    const first = await model.run({ rows });
    await model.run({ rows });
    expect(metadataReads).toBe(1);
    expect(seen[0]!.header.inputs).toEqual([
      { name: 'input-0', shape: [2, 4], datatype: 'FP64', data: rows.flat() },
    ]);
    expect(first.predictions.map((p) => p.label)).toEqual(['setosa', 'virginica']);
  });

  it('names classes of a probabilities output [N, C] from the labels list', async () => {
    server.use(
      http.get(`${BASE_URL}/v2/models/proba`, () => HttpResponse.json({ name: 'proba', inputs: [] })),
    );
    recordInfer('/v2/models/proba/infer', () =>
      HttpResponse.json({
        model_name: 'proba',
        outputs: [{ name: 'predict_proba', shape: [1, 3], datatype: 'FP64', data: [0.1, 0.7, 0.2] }],
      }),
    );
    const { predictions } = await oip()
      .classification('proba', { labels: ['a', 'b', 'c'] })
      .run({ rows: [[1, 2]] });
    expect(predictions).toEqual([{ label: 'b', score: 0.7, scores: { a: 0.1, b: 0.7, c: 0.2 } }]);
  });

  it('reads a class-index output of any name, shaped [N, 1]', async () => {
    server.use(http.get(`${BASE_URL}/v2/models/kserve`, () => HttpResponse.json({ name: 'kserve' })));
    recordInfer('/v2/models/kserve/infer', () =>
      HttpResponse.json({
        model_name: 'kserve',
        outputs: [{ name: 'output-0', shape: [2, 1], datatype: 'INT32', data: [1, 0] }],
      }),
    );
    const { predictions } = await oip()
      .classification('kserve', { labels: ['no', 'yes'] })
      .run({ rows: [[1], [2]] });
    expect(predictions.map((p) => p.label)).toEqual(['yes', 'no']);
  });

  it('stops a binary answer over maxResponseBytes with ResponseTooLargeError', async () => {
    recordInfer('/v2/models/big/infer', () =>
      binaryResponse(
        { outputs: [{ name: 'y', shape: [1024], datatype: 'FP32', parameters: { binary_data_size: 4096 } }] },
        new Uint8Array(4096),
      ),
    );
    const error = await createOpenInference({
      baseURL: BASE_URL,
      maxRetries: 0,
      binary: true,
      maxResponseBytes: 1000,
    })
      .tensor('big')
      .run({ inputs: { x: { dtype: 'int32', shape: [1], data: Int32Array.of(1) } } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'response_too_large',
      message: expect.stringContaining('maxResponseBytes'),
    });
  });

  it('refuses ragged rows and token ids before any request, the metadata request included', async () => {
    // No handler: any request would fail the test as unhandled.
    await expect(
      oip()
        .classification('iris')
        .run({ rows: [[1, 2], [3]] }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('same number of features'),
    });
    await expect(
      oip()
        .embedding('bert')
        .run({ tokens: [[1, 2]] }),
    ).rejects.toMatchObject({
      code: 'unsupported',
    });
  });

  it('calls a named version at /versions/{v}', async () => {
    const seen = recordInfer('/v2/models/echo/versions/3/infer', () =>
      HttpResponse.json({ model_name: 'echo', model_version: '3', outputs: [] }),
    );
    await oip()
      .tensor('echo', { version: '3' })
      .run({ inputs: { x: { dtype: 'int32', shape: [1], data: Int32Array.of(1) } } });
    expect(seen).toHaveLength(1);
  });
});

describe('OIP v2 client: errors, health and metadata', () => {
  it('maps a 404 {error} body to NotFoundError with status and message', async () => {
    server.use(
      http.post(`${BASE_URL}/v2/models/nope/infer`, () =>
        HttpResponse.json({ error: "Request for unknown model: 'nope' is not found" }, { status: 404 }),
      ),
    );
    const error = await oip()
      .tensor('nope')
      .run({ inputs: { x: { dtype: 'int32', shape: [1], data: Int32Array.of(1) } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, message: expect.stringContaining("unknown model: 'nope'") });
  });

  it('maps a 500 {error} body to a ServerError', async () => {
    server.use(
      http.post(`${BASE_URL}/v2/models/m/infer`, () =>
        HttpResponse.json({ error: 'model crashed' }, { status: 500 }),
      ),
    );
    const error = await oip()
      .tensor('m')
      .run({ inputs: { x: { dtype: 'int32', shape: [1], data: Int32Array.of(1) } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
  });

  it('tells health and readiness from the status code alone (empty bodies, as Triton sends)', async () => {
    server.use(
      http.get(`${BASE_URL}/v2/health/live`, () => new HttpResponse(null, { status: 200 })),
      http.get(`${BASE_URL}/v2/health/ready`, () => new HttpResponse(null, { status: 400 })),
      http.get(`${BASE_URL}/v2/models/iris/ready`, () => new HttpResponse(null, { status: 200 })),
    );
    const client = oip();
    expect(await client.health()).toBe(true);
    expect(await client.ready()).toBe(false);
    expect(await client.ready('iris')).toBe(true);
  });

  it('waits until ready, polling while the server answers 503', async () => {
    let probes = 0;
    server.use(
      http.get(
        `${BASE_URL}/v2/health/ready`,
        () => new HttpResponse(null, { status: ++probes < 3 ? 503 : 200 }),
      ),
    );
    await oip().waitUntilReady({ timeoutMs: 5000, intervalMs: 1 });
    expect(probes).toBe(3);
  });

  it('keeps waiting through connection failures of a server still starting', async () => {
    let probes = 0;
    server.use(
      http.get(`${BASE_URL}/v2/models/iris/ready`, () =>
        ++probes < 3 ? HttpResponse.error() : new HttpResponse(null, { status: 200 }),
      ),
    );
    await oip().waitUntilReady({ modelName: 'iris', timeoutMs: 5000, intervalMs: 1 });
    expect(probes).toBe(3);
  });

  it('gives up waiting with a TimeoutError that names the server', async () => {
    server.use(http.get(`${BASE_URL}/v2/health/ready`, () => new HttpResponse(null, { status: 503 })));
    await expect(oip().waitUntilReady({ timeoutMs: 20, intervalMs: 5 })).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringContaining('not ready within 20 ms'),
    });
  });

  it('generates over the generate extension and streams generate_stream events', async () => {
    server.use(
      http.post(`${BASE_URL}/v2/models/llm/generate`, async ({ request }) => {
        const body = (await request.json()) as { text_input: string; parameters?: Record<string, unknown> };
        return HttpResponse.json({
          model_name: 'llm',
          text_output: `${body.text_input}!${body.parameters?.max_tokens}`,
        });
      }),
      http.post(
        `${BASE_URL}/v2/models/llm/generate_stream`,
        () =>
          new HttpResponse(
            'data: {"model_name":"llm","text_output":"Hel"}\n\ndata: {"model_name":"llm","text_output":"lo"}\n\n',
            {
              headers: { 'content-type': 'text/event-stream' },
            },
          ),
      ),
    );
    const model = oip().textGeneration('llm');
    expect((await model.run({ prompt: 'Hi', maxTokens: 5 })).text).toBe('Hi!5');
    const chunks = [];
    for await (const chunk of model.stream({ prompt: 'Hi' })) chunks.push(chunk);
    expect(chunks).toEqual([
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'finish', finishReason: 'stop', usage: {} },
    ]);
  });

  it('raises a ServerError for an {error} event inside generate_stream, after the text before it', async () => {
    server.use(
      http.post(
        `${BASE_URL}/v2/models/llm/generate_stream`,
        () =>
          new HttpResponse('data: {"text_output":"Hel"}\n\ndata: {"error":"engine died"}\n\n', {
            headers: { 'content-type': 'text/event-stream' },
          }),
      ),
    );
    const texts: string[] = [];
    const error = await (async () => {
      for await (const chunk of oip().textGeneration('llm').stream({ prompt: 'Hi' }))
        if (chunk.type === 'text-delta') texts.push(chunk.text);
    })().catch((e: unknown) => e);
    expect(texts).toEqual(['Hel']);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as Error).message).toContain('engine died');
  });

  it('resolves oip:<url>/<model>/versions/<v> to a model of that server, model and version', async () => {
    const seen = recordInfer('/v2/models/iris/versions/2/infer', () =>
      HttpResponse.json({
        model_name: 'iris',
        outputs: [{ name: 'label', shape: [1], datatype: 'BYTES', data: ['setosa'] }],
      }),
    );
    server.use(http.get(`${BASE_URL}/v2/models/iris/versions/2`, () => HttpResponse.json({ name: 'iris' })));
    const model = await createModel(`oip:${BASE_URL}/iris/versions/2`, {
      task: 'classification',
      maxRetries: 0,
    });
    const { predictions } = await model.run({ rows: [[1, 2, 3, 4]] });
    expect(seen).toHaveLength(1);
    expect(predictions[0]!.label).toBe('setosa');
  });

  it('refuses an oip: spec without a model name, and a task OIP does not carry, naming the field', async () => {
    await expect(createModel('oip:http://triton.test:8000')).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [{ path: 'spec' }],
    });
    await expect(createModel(`oip:${BASE_URL}/iris`, { task: 'speech' as never })).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [{ path: 'options.task' }],
    });
  });
});
