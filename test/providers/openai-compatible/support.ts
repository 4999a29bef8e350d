import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

export { collect, failure } from '../../http/support.ts';

export const BASE_URL = 'http://api.test/v1';

/** An msw server for one test file: unhandled requests fail the test; handlers reset after each test. */
export function mockServer() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** Records each request's JSON body (and headers) as a handler sees it. */
export function recorder() {
  const requests: { body: any; headers: Headers; url: string }[] = [];
  return {
    requests,
    async record(request: Request) {
      const text = await request.clone().text();
      requests.push({
        body: text ? JSON.parse(text) : undefined,
        headers: request.headers,
        url: request.url,
      });
    },
  };
}

/** A `text/event-stream` response whose body is `parts` (raw SSE text), each part its own body chunk. */
export function sseResponse(parts: string[]): HttpResponse<ReadableStream> {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
  return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
}

/** `data: <json>\n\n` */
export const data = (value: unknown) =>
  `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;

/** A chat.completion.chunk with one choice. */
export const delta = (content: string | undefined, finishReason: string | null = null) =>
  data({
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finishReason }],
  });
