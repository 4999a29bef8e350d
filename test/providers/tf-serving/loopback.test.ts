import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTFServing } from '../../../src/index.ts';

/**
 * A fake TF Serving on 127.0.0.1: `scores:predict` answers with the bare NaN / Infinity tokens the
 * real server writes for non-finite floats; `echo_bytes:predict` answers its `{b64}` inputs as a
 * `_bytes` output, base64 again, as TF Serving does for binary strings.
 */
let server: Server;
let baseURL: string;
const received: unknown[] = [];
const receivedText: string[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    receivedText.push(text);
    received.push(text.includes('NaN') ? null : JSON.parse(text));
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/models/scores:predict') {
      res.end('{\n  "predictions": [[0.5, NaN], [Infinity, -Infinity]],\n  "note": "NaN stays text here"\n}');
    } else if (req.url === '/v1/models/echo_bytes:predict') {
      const { inputs } = JSON.parse(text) as { inputs: { image_bytes: { b64: string }[] } };
      res.end(JSON.stringify({ outputs: { label: ['cat', 'dog'], image_bytes: inputs.image_bytes } }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: `Servable not found for request: ${req.url}` }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

describe('TF Serving client against a loopback fake', () => {
  it('reads bare NaN, Infinity and -Infinity in a response as float values', async () => {
    const model = createTFServing({ baseURL, maxRetries: 0 }).tensor('scores', { outputName: 'scores' });
    const { outputs } = await model.run({
      inputs: { x: { dtype: 'float32', shape: [2, 1], data: Float32Array.from([1, 2]) } },
    });
    expect(outputs.scores!.shape).toEqual([2, 2]);
    expect([...(outputs.scores!.data as Float32Array)]).toEqual([
      0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it('sends NaN and infinities in an input as bare tokens, not as null', async () => {
    const model = createTFServing({ baseURL, maxRetries: 0 }).tensor('scores');
    await model.run({
      inputs: {
        x: {
          dtype: 'float32',
          shape: [3],
          data: Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, -1 / 0]),
        },
      },
    });
    expect(receivedText.at(-1)).toBe('{"instances":[NaN,Infinity,-Infinity]}');
  });

  it('sends a `_bytes` input as {b64} and reads the {b64} output back as the same strings', async () => {
    const model = createTFServing({ baseURL, maxRetries: 0 }).tensor('echo_bytes', { format: 'columnar' });
    const images = ['\u00ff\u0001 not ascii: é', 'second'];
    const { outputs } = await model.run({
      inputs: { image_bytes: { dtype: 'string', shape: [2], data: images } },
    });
    const sent = received.at(-1) as { inputs: { image_bytes: { b64: string }[] } };
    expect(sent.inputs.image_bytes.map((item) => Object.keys(item))).toEqual([['b64'], ['b64']]);
    expect(outputs.image_bytes).toEqual({ dtype: 'string', shape: [2], data: images });
    expect(outputs.label).toEqual({ dtype: 'string', shape: [2], data: ['cat', 'dog'] });
  });
});
