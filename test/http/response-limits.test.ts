import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, ResponseTooLargeError, ServerError } from '../../src/errors.ts';
import { createTransport, readSse } from '../../src/http/index.ts';
import type { TransportOptions } from '../../src/http/types.ts';
import { anyObject, collect, failure, type LoopbackServer, loopback, until } from './support.ts';

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function transport(options: Partial<TransportOptions> = {}) {
  return createTransport({
    provider: 'test',
    baseURL: server!.url,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
}

const servedSocketClosed = () => server!.closed.has(server!.sockets[0]!);

/** Writes `chunk` for as long as the client reads: a body that never ends. */
function endless(res: ServerResponse, chunk: string): void {
  const write = () => {
    while (!res.destroyed && res.write(chunk)) {}
    if (!res.destroyed) res.once('drain', write);
  };
  write();
}

const kib64 = 'x'.repeat(64 * 1024);

describe('JSON response bodies', () => {
  it('stop an endless 200 body at maxResponseBytes with a ResponseTooLargeError, closing the connection', async () => {
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":"');
      endless(res, kib64);
    });
    const error = await failure(
      transport({ maxResponseBytes: 1024 * 1024 }).json({ path: 'x', schema: anyObject }),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ retryable: false, limitBytes: 1024 * 1024, provider: 'test' });
    expect(error.message).toContain('maxResponseBytes');
    await until(servedSocketClosed);
  });

  it('are not retried when too large', async () => {
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      endless(res, kib64);
    });
    await failure(
      transport({ maxResponseBytes: 100_000, maxRetries: 2 }).json({ path: 'x', schema: anyObject }),
    );
    expect(server.requests).toBe(1);
  });

  it('take the call’s maxResponseBytes over the transport’s', async () => {
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      endless(res, kib64);
    });
    const error = await failure(
      transport({ maxResponseBytes: 1024 * 1024 }).json({
        path: 'x',
        schema: anyObject,
        maxResponseBytes: 100_000,
      }),
    );
    expect(error).toMatchObject({ limitBytes: 100_000 });
  });

  it('fail at once when Content-Length is over the limit', async () => {
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10_000_000) });
      res.write('{"a":');
    });
    const error = await failure(
      transport({ maxResponseBytes: 1_000 }).json({ path: 'x', schema: anyObject }),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
  });

  it('read a body of exactly maxResponseBytes', async () => {
    const body = JSON.stringify({ text: 'é'.repeat(400) }); // multi-byte characters count as bytes
    const bytes = Buffer.byteLength(body);
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    const result = await transport({ maxResponseBytes: bytes }).json({ path: 'x', schema: anyObject });
    expect(result).toEqual(JSON.parse(body));
    const error = await failure(
      transport({ maxResponseBytes: bytes - 1 }).json({ path: 'x', schema: anyObject }),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
  });

  it('keep the status of an error response whose body never ends', async () => {
    server = await loopback((_, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      endless(res, kib64);
    });
    const error = await failure(transport({ maxRetries: 0 }).json({ path: 'x', schema: anyObject }));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.status).toBe(500);
    expect(error.message.length).toBeLessThan(2_000);
  });

  it('refuse a maxResponseBytes that is not a whole number of bytes before any request', async () => {
    server = await loopback((_, res) => res.end('{}'));
    const error = await failure(transport({ maxResponseBytes: 0 }).json({ path: 'x', schema: anyObject }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toContain('maxResponseBytes');
    expect(server.requests).toBe(0);
  });
});

describe('stream events', () => {
  it('stop one endless event at maxEventBytes with a ResponseTooLargeError, closing the connection', async () => {
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\ndata: ');
      endless(res, kib64);
    });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of transport({ maxEventBytes: 256 * 1024 }).stream({ path: 'x', body: {} }))
          seen.push(event.data);
      })(),
    );
    expect(seen).toEqual(['first']);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ limitBytes: 256 * 1024, provider: 'test' });
    expect(error.message).toContain('maxEventBytes');
    await until(servedSocketClosed);
  });

  it('bound each event, not the stream: many small events add up past the limit', async () => {
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${'data: 0123456789\n\n'.repeat(200)}data: [DONE]\n\n`);
    });
    const events = await collect(transport({ maxEventBytes: 100 }).stream({ path: 'x', body: {} }));
    expect(events).toHaveLength(201);
  });

  it('take the stream call’s maxEventBytes over the transport’s', async () => {
    server = await loopback((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${'y'.repeat(5_000)}\n\n`);
    });
    const t = transport({ maxEventBytes: 1_000 });
    const error = await failure(collect(t.stream({ path: 'x', body: {} })));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(await collect(t.stream({ path: 'x', body: {}, maxEventBytes: 10_000 }))).toHaveLength(1);
  });

  it('readSse alone bounds an event that never ends', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new TextEncoder().encode(pulls === 1 ? 'data: ' : 'z'.repeat(1_000)));
      },
    });
    const error = await failure(collect(readSse(body, { maxEventBytes: 10_000 })));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(pulls).toBeLessThan(20);
  });
});
