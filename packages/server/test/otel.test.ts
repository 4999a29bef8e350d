// createServer({ tracer }): a SERVER span per HTTP request, named and described by the OpenTelemetry HTTP conventions.
import { defineModel, textGeneration } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { telemetry } from '../../../test/otel/telemetry.ts';
import { fakeChatModel } from './fakes.ts';

const broken = defineModel({
  id: 'fake:broken',
  task: textGeneration,
  capabilities: { streaming: false, batching: false, local: true },
  async run() {
    throw new Error('the model fell over');
  },
});

function served() {
  const otel = telemetry();
  const server = createServer({
    models: { chat: fakeChatModel().model, broken },
    tracer: otel.tracer,
    logger: { error: () => {} },
  });
  const chat = (model: string, body: object = {}, headers: Record<string, string> = {}) =>
    server.fetch(
      new Request('http://replica.test:8080/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }], ...body }),
      }),
    );
  return { otel, server, chat };
}

describe('createServer({ tracer }): request spans', () => {
  it('makes a SERVER span "POST /v1/chat/completions" with the http.* attributes and the answer\'s status', async () => {
    const { otel, chat } = served();
    const response = await chat('chat', {}, { 'user-agent': 'test-client/1' });
    await response.text();
    const span = await otel.span('POST /v1/chat/completions');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'url.path': '/v1/chat/completions',
      'url.scheme': 'http',
      'server.address': 'replica.test',
      'server.port': 8080,
      'user_agent.original': 'test-client/1',
      'mlkit.model': 'chat',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('carries the request id from x-request-id as mlkit.request_id', async () => {
    const { otel, chat } = served();
    const response = await chat('chat', {}, { 'x-request-id': 'req-from-balancer-42' });
    await response.text();
    expect((await otel.span('POST /v1/chat/completions')).attributes['mlkit.request_id']).toBe(
      'req-from-balancer-42',
    );
  });

  it('marks a 5xx answer with status ERROR and error.type, a 4xx one not', async () => {
    const { otel, chat } = served();
    await (await chat('broken')).text();
    await (await chat('nobody')).text();
    const [failed, missing] = await otel.spans();
    expect([failed!.attributes['http.response.status_code'], failed!.attributes['error.type']]).toEqual([
      500,
      '500',
    ]);
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(missing!.attributes['http.response.status_code']).toBe(404);
    expect(missing!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('names a request that matched no route by its method alone', async () => {
    const { otel, server } = served();
    await (await server.fetch(new Request('http://replica.test/nowhere'))).text();
    const [span] = await otel.spans();
    expect(span!.name).toBe('GET');
    expect(span!.attributes['http.route']).toBeUndefined();
  });

  it("ends a streamed answer's span when its last event was read, not when the headers were sent", async () => {
    const { otel, chat } = served();
    const response = await chat('chat', { stream: true });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await otel.spans()).toEqual([]);
    const body = await response.text();
    expect(body).toContain('[DONE]');
    expect((await otel.span('POST /v1/chat/completions')).attributes['http.response.status_code']).toBe(200);
  });
});
