// A real HTTP peer that answers like the HF Inference API (raw image bodies or JSON base64 in,
// [{label, score}] out, 400 {"error"} for bytes it cannot read), on 127.0.0.1.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPredictImageClassification } from '../../../src/index.ts';

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 9, 9]);

describe('against a loopback server that answers like the HF Inference API', () => {
  let listening: Server | undefined;
  afterEach(() => {
    listening?.closeAllConnections();
    listening?.close();
    listening = undefined;
  });

  it('classifies raw uploads and JSON bodies, the server reading both', async () => {
    const bodies: { type: string | undefined; size: number }[] = [];
    listening = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'];
      const image =
        type !== 'application/json' ? body : Buffer.from(JSON.parse(body.toString()).inputs, 'base64');
      bodies.push({ type, size: image.byteLength });
      // Like HF: 400 {"error"} for what it cannot read.
      if (image[0] !== 0x89 && image[0] !== 0xff) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'cannot identify image file' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ label: image[0] === 0x89 ? 'png-thing' : 'jpeg-thing', score: 0.5 }]));
    });
    listening.listen(0, '127.0.0.1');
    await once(listening, 'listening');
    const url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/models/vit`;
    const raw = createPredictImageClassification({ url, maxRetries: 0 });
    const json = createPredictImageClassification({ url, upload: 'json', maxRetries: 0 });
    expect((await raw.run({ image: png })).predictions).toEqual([[{ label: 'png-thing', score: 0.5 }]]);
    expect((await json.run({ image: jpeg.buffer })).predictions).toEqual([
      [{ label: 'jpeg-thing', score: 0.5 }],
    ]);
    expect(bodies).toEqual([
      { type: 'image/png', size: png.byteLength },
      { type: 'application/json', size: jpeg.byteLength },
    ]);
    await expect(raw.run({ image: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/cannot identify image file/);
  });
});
