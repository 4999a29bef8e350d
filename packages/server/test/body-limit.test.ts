// limits.maxBodyBytes bounds the whole body, not each chunk of it: a chunked body (no Content-Length)
// of small chunks that together pass the limit is refused with 413.
import { request as httpRequest } from 'node:http';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { describe, expect, it } from 'vitest';
import { fakeClassifier } from './fakes.ts';

const MAX_BODY_BYTES = 1024;
const CHUNK_BYTES = 200;
const CHUNKS = 8; // 1600 bytes in all: every chunk under the limit, their sum over it

/** A valid predict body of exactly CHUNKS * CHUNK_BYTES bytes, cut into CHUNK_BYTES pieces. */
function chunkedBody(): Uint8Array[] {
  const head = '{"data":[1,2,3,4],"pad":"';
  const tail = '"}';
  const text = head + 'x'.repeat(CHUNKS * CHUNK_BYTES - head.length - tail.length) + tail;
  const bytes = new TextEncoder().encode(text);
  return Array.from({ length: CHUNKS }, (_, i) => bytes.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES));
}

const server = () =>
  createServer({ models: { iris: fakeClassifier().model }, limits: { maxBodyBytes: MAX_BODY_BYTES } });

describe('maxBodyBytes on a body without Content-Length', () => {
  it('answers 413 when chunks each under the limit add up to more than it (fetch handler)', async () => {
    const parts = chunkedBody();
    expect(Math.max(...parts.map((part) => part.byteLength))).toBeLessThan(MAX_BODY_BYTES);
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (next < parts.length) controller.enqueue(parts[next++]!);
        else controller.close();
      },
    });
    const request = new Request('http://mlkit.test/predict/iris', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(request.headers.get('content-length')).toBeNull();
    const response = await server().fetch(request);
    expect(response.status).toBe(413);
    expect((await response.json()).code).toBe('body_too_large');
  });

  it('answers 413 to a Transfer-Encoding: chunked request over a real socket', async () => {
    const listening = await listen(server(), { port: 0 });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${listening.url}/predict/iris`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        // The server may answer and close before the last chunk is written.
        req.on('error', reject);
        for (const part of chunkedBody()) req.write(part);
        req.end();
      });
      expect(status).toBe(413);
    } finally {
      await listening.close({ graceMs: 0 });
    }
  });
});
