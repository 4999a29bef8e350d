// instrument(): each call a span and metrics named by the OpenTelemetry GenAI semantic conventions.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  createOpenAICompatible,
  defineModel,
  embedding,
  fallback,
  type ModelEvent,
  textGeneration,
} from '../../src/index.ts';
import { instrument } from '../../src/otel/index.ts';
import { failingModel, fixedModel } from '../compose/models.ts';
import { pointWith, telemetry } from './telemetry.ts';

const BASE_URL = 'http://api.example.test:8443/v1';

const completion = (text: string) =>
  Response.json({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
  });

const streamed = (texts: string[]) => {
  const chunk = (choices: unknown[], usage?: unknown) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices, ...(usage !== undefined && { usage }) })}\n\n`;
  const parts = [
    ...texts.map((content) => chunk([{ index: 0, delta: { content }, finish_reason: null }])),
    chunk([{ index: 0, delta: {}, finish_reason: 'length' }]),
    chunk([], { prompt_tokens: 4, completion_tokens: texts.length, total_tokens: 4 + texts.length }),
    'data: [DONE]\n\n',
  ];
  return new Response(parts.join(''), { headers: { 'content-type': 'text/event-stream' } });
};

/** gpt-4o-mini on a fake OpenAI: each request gets the next answer of `answers`. */
function hosted(...answers: (() => Response)[]) {
  let calls = 0;
  const fetch = async () => {
    const answer = answers[Math.min(calls, answers.length - 1)]!;
    calls++;
    return answer();
  };
  return createOpenAICompatible({
    name: 'openai',
    baseURL: BASE_URL,
    apiKey: 'sk-test-0123456789',
    fetch: fetch as typeof globalThis.fetch,
    retry: { baseDelayMs: 1, maxDelayMs: 1 },
  }).textGeneration('gpt-4o-mini');
}

describe('instrument: a span per call', () => {
  it('names the span "{gen_ai.operation.name} {gen_ai.request.model}" and sets the required attributes', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(() => completion('Hi')),
      otel,
    );
    await model.run({ prompt: 'Hello' });
    const span = await otel.span('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'server.address': 'api.example.test',
      'server.port': 8443,
    });
  });

  it('records the request settings as gen_ai.request.* attributes', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(() => completion('Hi')),
      otel,
    );
    await model.run({ prompt: 'Hello', maxTokens: 64, temperature: 0.2, topP: 0.9, stop: ['\n'], seed: 7 });
    expect((await otel.span('chat gpt-4o-mini')).attributes).toMatchObject({
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.stop_sequences': ['\n'],
      'gen_ai.request.seed': 7,
    });
  });

  it('records the finish reason and the token usage of the answer', async () => {
    const otel = telemetry();
    await instrument(
      hosted(() => completion('Hi')),
      otel,
    ).run({ prompt: 'Hello' });
    expect((await otel.span('chat gpt-4o-mini')).attributes).toMatchObject({
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 3,
    });
  });

  it('marks a failed call with status ERROR and error.type set to the mlkit error code', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(() =>
        Response.json({ error: { message: 'bad key', type: 'invalid_request_error' } }, { status: 401 }),
      ),
      otel,
    );
    const error = await model.run({ prompt: 'Hello' }).catch((caught: unknown) => caught);
    const span = await otel.span('chat gpt-4o-mini');
    expect((error as { code: string }).code).toBe('authentication');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('authentication');
  });

  it('makes each HTTP attempt a CLIENT child span, with the retry as an event on the call span', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(
        () => new Response('busy', { status: 503 }),
        () => completion('Hi'),
      ),
      otel,
    );
    await model.run({ prompt: 'Hello' });
    const call = await otel.span('chat gpt-4o-mini');
    const attempts = await otel.children(call);
    expect(
      attempts.map((span) => [span.name, span.kind, span.attributes['http.response.status_code']]),
    ).toEqual([
      ['POST', SpanKind.CLIENT, 503],
      ['POST', SpanKind.CLIENT, 200],
    ]);
    expect(attempts[0]!.attributes['error.type']).toBe('503');
    expect(attempts[1]!.attributes['http.request.resend_count']).toBe(1);
    expect(attempts[1]!.attributes['url.full']).toBe(`${BASE_URL}/chat/completions`);
    expect(attempts[0]!.attributes['mlkit.request_id']).toBe(attempts[1]!.attributes['mlkit.request_id']);
    expect(call.events.map((event) => event.name)).toEqual(['mlkit.retry']);
    expect(call.events[0]!.attributes?.['http.response.status_code']).toBe(503);
  });

  it('keeps the model as it was: same id and task, and the caller still gets every event', async () => {
    const otel = telemetry();
    const inner = hosted(() => completion('Hi'));
    const model = instrument(inner, otel);
    const events: ModelEvent['type'][] = [];
    const output = await model.run({ prompt: 'Hello' }, { onEvent: (event) => events.push(event.type) });
    expect([model.id, model.task]).toEqual([inner.id, inner.task]);
    expect(output.text).toBe('Hi');
    expect(events).toEqual(['request', 'response', 'result']);
  });

  it('works with no OpenTelemetry SDK registered (the global API is a no-op)', async () => {
    const output = await instrument(hosted(() => completion('Hi'))).run({ prompt: 'Hello' });
    expect(output.text).toBe('Hi');
  });

  it('names an embedding call "embeddings <model>" and makes a local model\'s span INTERNAL', async () => {
    const otel = telemetry();
    const bge = defineModel({
      id: 'onnx:bge',
      task: embedding,
      capabilities: { streaming: false, batching: true, local: true },
      run: async (input) => ({
        embeddings: ('texts' in input ? input.texts : input.tokens).map(() => new Float32Array(4)),
        dimensions: 4,
        usage: { inputTokens: 5 },
      }),
    });
    await instrument(bge, otel).run({ texts: ['a', 'b'] });
    const span = await otel.span('embeddings bge');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'onnx',
      'gen_ai.embeddings.dimension.count': 4,
      'gen_ai.usage.input_tokens': 5,
    });
  });

  it('describes a single-member composite by its member: meter:openai:gpt-4o-mini is openai, gpt-4o-mini', async () => {
    const otel = telemetry();
    const { model: inner } = fixedModel('openai:gpt-4o-mini', 'Hi');
    const wrapped = defineModel({
      ...inner,
      id: 'meter:openai:gpt-4o-mini',
      task: textGeneration,
      run: (input) => inner.run(input),
    });
    await instrument(wrapped, otel).run({ prompt: 'Hello' });
    expect((await otel.span('chat gpt-4o-mini')).attributes['gen_ai.provider.name']).toBe('openai');
  });

  it('takes the names the model id does not say from the options', async () => {
    const otel = telemetry();
    const { model } = fixedModel('custom', 'Hi');
    await instrument(model, {
      ...otel,
      providerName: 'acme',
      requestModel: 'acme-1',
      operationName: 'text_completion',
    }).run({
      prompt: 'Hello',
    });
    expect((await otel.span('text_completion acme-1')).attributes['gen_ai.provider.name']).toBe('acme');
  });
});

describe('instrument: metrics', () => {
  it('records gen_ai.client.operation.duration in seconds, by operation, provider and model', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(() => completion('Hi')),
      otel,
    );
    await model.run({ prompt: 'Hello' });
    await model.run({ prompt: 'Hello again' });
    const { unit, points } = await otel.histogram('gen_ai.client.operation.duration');
    expect(unit).toBe('s');
    const point = pointWith(points, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'server.address': 'api.example.test',
    });
    expect(point?.value.count).toBe(2);
  });

  it("records a failed call's duration with its error.type", async () => {
    const otel = telemetry();
    const { model } = failingModel('openai:gpt-4o-mini', () => new Error('boom'));
    await instrument(model, otel)
      .run({ prompt: 'Hello' })
      .catch(() => undefined);
    const { points } = await otel.histogram('gen_ai.client.operation.duration');
    expect(points.map((point) => point.attributes['error.type'])).toEqual(['_OTHER']);
  });

  it('records gen_ai.client.token.usage in {token}, input and output apart', async () => {
    const otel = telemetry();
    await instrument(
      hosted(() => completion('Hi')),
      otel,
    ).run({ prompt: 'Hello' });
    const { unit, points } = await otel.histogram('gen_ai.client.token.usage');
    expect(unit).toBe('{token}');
    expect(pointWith(points, { 'gen_ai.token.type': 'input' })?.value.sum).toBe(12);
    expect(pointWith(points, { 'gen_ai.token.type': 'output' })?.value.sum).toBe(3);
  });

  it('records no token usage for a call whose usage has no token counts', async () => {
    const otel = telemetry();
    const silent = defineModel({
      id: 'local:quiet',
      task: textGeneration,
      capabilities: { streaming: false, batching: false, local: true },
      run: async () => ({ text: 'ok', finishReason: 'stop' as const, usage: {} }),
    });
    await instrument(silent, otel).run({ prompt: 'Hello' });
    await expect(otel.histogram('gen_ai.client.token.usage')).rejects.toThrow(/no metric/);
  });
});

describe('instrument: streams', () => {
  it('ends the span at the finish chunk, with the stream flag, first-chunk time, finish reason and usage', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(() => streamed(['He', 'llo'])),
      otel,
    );
    let endedAtFinish = false;
    for await (const chunk of model.stream({ prompt: 'Hello' })) {
      if (chunk.type === 'finish')
        endedAtFinish = (await otel.spans()).some((span) => span.name === 'chat gpt-4o-mini');
    }
    expect(endedAtFinish).toBe(true);
    const span = await otel.span('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['length'],
      'gen_ai.usage.input_tokens': 4,
      'gen_ai.usage.output_tokens': 2,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect((await otel.children(span)).map((child) => child.attributes['http.response.status_code'])).toEqual(
      [200],
    );
  });

  it('records gen_ai.client.operation.time_to_first_chunk once and time_per_output_chunk for each later chunk', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(() => streamed(['a', 'b', 'c'])),
      otel,
    );
    let chunks = 0;
    for await (const _ of model.stream({ prompt: 'Hello' })) chunks++;
    const first = await otel.histogram('gen_ai.client.operation.time_to_first_chunk');
    const later = await otel.histogram('gen_ai.client.operation.time_per_output_chunk');
    expect(first.unit).toBe('s');
    expect(first.points[0]?.value.count).toBe(1);
    expect(later.points[0]?.value.count).toBe(chunks - 1);
  });

  it('ends the span without an error when the caller leaves the stream early', async () => {
    const otel = telemetry();
    const model = instrument(
      hosted(() => streamed(['a', 'b', 'c'])),
      otel,
    );
    for await (const _ of model.stream({ prompt: 'Hello' })) break;
    const span = await otel.span('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('marks a stream that fails mid-way with status ERROR', async () => {
    const otel = telemetry();
    const { model } = failingModel('local:broken', () => new Error('boom'), { chunksBeforeError: ['a'] });
    const reading = (async () => {
      for await (const _ of instrument(model, otel).stream({ prompt: 'Hello' })) {
        // read to the failure
      }
    })();
    await expect(reading).rejects.toThrow('boom');
    const span = await otel.span('chat broken');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
  });

  it('throws at once, as the model does, for a task that does not stream, and records the failed span', async () => {
    const otel = telemetry();
    const bge = defineModel({
      id: 'onnx:bge',
      task: embedding,
      capabilities: { streaming: false, batching: true, local: true },
      run: async () => ({ embeddings: [new Float32Array(1)], dimensions: 1, usage: {} }),
    });
    expect(() => instrument(bge, otel).stream({ texts: ['a'] })).toThrow(/does not stream/);
    expect((await otel.span('embeddings bge')).attributes['error.type']).toBe('unsupported');
  });
});

describe('instrument: composites', () => {
  it('records a fallback as an event and the member that answered as gen_ai.response.model', async () => {
    const otel = telemetry();
    const { model: primary } = failingModel('openai:gpt-4o-mini', () => new Error('down'));
    const { model: local } = fixedModel('onnx:tiny-gpt', 'Hi');
    const both = instrument(fallback([primary, local]), { ...otel, requestModel: 'gpt-4o-mini' });
    await both.run({ prompt: 'Hello' });
    const span = await otel.span('chat gpt-4o-mini');
    expect(span.events.map((event) => [event.name, event.attributes?.['mlkit.fallback.to']])).toEqual([
      ['mlkit.fallback', 'onnx:tiny-gpt'],
    ]);
    expect(span.attributes['gen_ai.response.model']).toBe('tiny-gpt');
    const { points } = await otel.histogram('gen_ai.client.operation.duration');
    expect(points.map((point) => point.attributes['gen_ai.response.model'])).toEqual(['tiny-gpt']);
  });

  it('names a fallback by its id when no options say otherwise: provider "fallback"', async () => {
    const otel = telemetry();
    const { model: primary } = fixedModel('openai:gpt-4o-mini', 'Hi');
    await instrument(fallback([primary]), otel).run({ prompt: 'Hello' });
    expect((await otel.spans())[0]!.attributes['gen_ai.provider.name']).toBe('fallback');
  });
});
