import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResponseValidationError, ServerError } from '../../src/errors.ts';
import { createTransport, readSse } from '../../src/http/index.ts';
import { collect, failure } from './support.ts';

/** A body that delivers exactly these byte chunks. */
function body(...chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}
const data = (events: Array<{ data: string }>) => events.map((event) => event.data);

describe('readSse', () => {
  it('keeps a UTF-8 character whole when its bytes are split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo 🤖\n\n');
    const cut = bytes.indexOf(0xf0) + 2; // inside the 4-byte emoji
    const split = [bytes.slice(0, 9), bytes.slice(9, cut), bytes.slice(cut)]; // 9 cuts inside "é" too
    expect(data(await collect(readSse(body(...split))))).toEqual(['héllo 🤖']);
  });

  it('skips comments', async () => {
    expect(data(await collect(readSse(body(': keep-alive\n\ndata: a\n\n: ping\n\n'))))).toEqual(['a']);
  });

  it('joins multi-line data with newlines', async () => {
    expect(data(await collect(readSse(body('data: line 1\ndata: line 2\n\n'))))).toEqual(['line 1\nline 2']);
  });

  it('accepts CRLF line endings, even split between chunks', async () => {
    expect(data(await collect(readSse(body('data: a\r', '\n\r\ndata: b\r\n\r\n'))))).toEqual(['a', 'b']);
  });

  it('reads event names and ids', async () => {
    expect(await collect(readSse(body('event: delta\nid: 7\ndata: {}\n\ndata: x\n\n')))).toEqual([
      { event: 'delta', id: '7', data: '{}' },
      { event: undefined, id: undefined, data: 'x' },
    ]);
  });

  it('dispatches a final event that lacks its blank line (openai-node #2725)', async () => {
    expect(data(await collect(readSse(body('data: a\n\ndata: [DONE]'))))).toEqual(['a', '[DONE]']);
    expect(data(await collect(readSse(body('data: a\n\ndata: last\n'))))).toEqual(['a', 'last']);
  });

  it('yields events split at arbitrary byte boundaries', async () => {
    const text = 'data: {"a":1}\n\nevent: e\ndata: two\n\n';
    const chunks = [...text].map((char) => char);
    expect(data(await collect(readSse(body(...chunks))))).toEqual(['{"a":1}', 'two']);
  });

  it('cancels the body when the loop is left early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of readSse(stream)) break;
    expect(cancelled).toBe(true);
  });
});

const BASE = 'https://api.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const sse = (text: string) =>
  new HttpResponse(body(text), { headers: { 'content-type': 'text/event-stream' } });
const transport = () =>
  createTransport({ provider: 'test', baseURL: BASE, retry: { baseDelayMs: 1, maxDelayMs: 2 } });

describe('transport.stream', () => {
  it('passes a server error event inside the stream through as an SseEvent', async () => {
    server.use(
      http.post(`${BASE}/chat`, () =>
        sse('data: {"x":1}\n\nevent: error\ndata: {"error":{"message":"overloaded"}}\n\n'),
      ),
    );
    const events = await collect(transport().stream({ path: 'chat', body: {} }));
    expect(events[1]).toEqual({ event: 'error', id: undefined, data: '{"error":{"message":"overloaded"}}' });
  });

  it('sends Accept: text/event-stream', async () => {
    let accept: string | null = null;
    server.use(
      http.post(`${BASE}/chat`, ({ request }) => {
        accept = request.headers.get('accept');
        return sse('data: [DONE]\n\n');
      }),
    );
    await collect(transport().stream({ path: 'chat', body: {} }));
    expect(accept).toBe('text/event-stream');
  });

  it('retries an HTTP 503 before the stream starts', async () => {
    let n = 0;
    server.use(
      http.post(`${BASE}/chat`, () =>
        ++n === 1 ? HttpResponse.json({}, { status: 503 }) : sse('data: ok\n\n'),
      ),
    );
    expect(data(await collect(transport().stream({ path: 'chat', body: {} })))).toEqual(['ok']);
    expect(n).toBe(2);
  });

  it('throws the typed error of a failed status without retrying a 400', async () => {
    let n = 0;
    server.use(
      http.post(`${BASE}/chat`, () => {
        n++;
        return HttpResponse.json({ detail: 'bad' }, { status: 400 });
      }),
    );
    const error = await failure(collect(transport().stream({ path: 'chat', body: {} })));
    expect(error.status).toBe(400);
    expect(n).toBe(1);
  });

  it('rejects a JSON answer to a streaming request with its message', async () => {
    server.use(
      http.post(`${BASE}/chat`, () => HttpResponse.json({ error: { message: 'streaming disabled' } })),
    );
    const error = await failure(collect(transport().stream({ path: 'chat', body: {} })));
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error.message).toContain('streaming disabled');
  });

  it('gives an empty iterable for an empty stream body', async () => {
    server.use(http.post(`${BASE}/chat`, () => sse('')));
    expect(await collect(transport().stream({ path: 'chat', body: {} }))).toEqual([]);
  });

  it('does not send anything until iterated', async () => {
    let n = 0;
    server.use(
      http.post(`${BASE}/chat`, () => {
        n++;
        return sse('data: x\n\n');
      }),
    );
    transport().stream({ path: 'chat', body: {} });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(n).toBe(0);
  });

  it('reports a 5xx after retries as ServerError', async () => {
    server.use(http.post(`${BASE}/chat`, () => HttpResponse.json({ error: 'down' }, { status: 500 })));
    expect(await failure(collect(transport().stream({ path: 'chat', body: {} })))).toBeInstanceOf(
      ServerError,
    );
  });
});
