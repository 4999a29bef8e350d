import { createOpenAICompatible, type ModelEvent } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { describe, expect, it, vi } from 'vitest';
import { fakeChatModel, fakeClassifier, gate, get, postJson, replyOf } from './fakes.ts';

const row = { data: [5.1, 3.5, 1.4, 0.2] };

describe('backpressure', () => {
  it('answers 429 with Retry-After and retry-after-ms when the queue is full', async () => {
    const open = gate();
    const iris = fakeClassifier({ gate: open.wait, batching: false });
    const server = createServer({ models: { iris: iris.model }, limits: { maxConcurrency: 1, maxQueue: 1 } });

    const running = postJson(server, '/predict/iris', row);
    await vi.waitFor(() => expect(iris.calls.run).toBe(1));
    const queued = postJson(server, '/predict/iris', row);
    await vi.waitFor(async () =>
      expect(await (await get(server, '/metrics')).text()).toContain('mlkit_queue_depth{model="iris"} 1'),
    );

    const refused = await postJson(server, '/predict/iris', row);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({
      code: 'queue_full',
      error: expect.stringContaining('busy'),
    });

    open.open();
    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
    expect(iris.calls.run).toBe(2);
  });

  it('speaks OpenAI’s error shape on 429 for /v1 routes', async () => {
    const chat = fakeChatModel({ delayMs: 50 });
    const server = createServer({ models: { gpt: chat.model }, limits: { maxConcurrency: 1, maxQueue: 0 } });
    const body = { model: 'gpt', messages: [{ role: 'user', content: 'a b c' }] };
    const first = postJson(server, '/v1/chat/completions', body);
    await vi.waitFor(() => expect(chat.calls.run).toBe(1));
    const refused = await postJson(server, '/v1/chat/completions', body);
    expect(refused.status).toBe(429);
    expect((await refused.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    expect((await first).status).toBe(200);
  });
});

describe('request timeout', () => {
  it('answers 504 and aborts the model’s signal when the request outlives requestTimeoutMs', async () => {
    const never = gate();
    const iris = fakeClassifier({ gate: never.wait, batching: false });
    const server = createServer({ models: { iris: iris.model }, limits: { requestTimeoutMs: 50 } });
    const response = await postJson(server, '/predict/iris', row);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ code: 'timeout', error: expect.stringContaining('50 ms') });
    expect(iris.calls.signals[0]!.aborted).toBe(true);
  });

  it('answers 504 even when the model ignores its signal, and times out a request still in the queue', async () => {
    const never = gate();
    const iris = fakeClassifier({ gate: never.wait, batching: false, ignoreAbort: true });
    const server = createServer({
      models: { iris: iris.model },
      limits: { requestTimeoutMs: 80, maxConcurrency: 1 },
    });
    const [first, second] = await Promise.all([
      postJson(server, '/predict/iris', row),
      postJson(server, '/predict/iris', row),
    ]);
    expect([first.status, second.status]).toEqual([504, 504]);
    expect(iris.calls.run).toBe(1);
  });
});

describe('backpressure with the mlkit client', () => {
  it('the client honours the 429 Retry-After and every call ends with its answer', async () => {
    const chat = fakeChatModel({ delayMs: 30 });
    const server = createServer({ models: { gpt: chat.model }, limits: { maxConcurrency: 1, maxQueue: 0 } });
    const listening = await listen(server, { port: 0, host: '127.0.0.1' });
    try {
      const retries: Extract<ModelEvent, { type: 'retry' }>[] = [];
      const model = createOpenAICompatible({
        name: 'mlkit-server',
        baseURL: `${listening.url}/v1`,
        maxRetries: 8,
        retry: { baseDelayMs: 5, maxDelayMs: 40 },
        onEvent: (event) => {
          if (event.type === 'retry') retries.push(event);
        },
      }).textGeneration('gpt');
      const prompts = ['one two', 'three four', 'five six'];
      const outputs = await Promise.all(
        prompts.map((content) => model.run({ messages: [{ role: 'user', content }] })),
      );
      expect(outputs.map((output) => output.text)).toEqual(
        prompts.map((content) => replyOf({ messages: [{ role: 'user', content }] })),
      );
      // Three at once against one slot and no queue: the others were refused with 429 and retried.
      expect(retries.length).toBeGreaterThan(0);
      expect(retries.every((retry) => retry.status === 429)).toBe(true);
      // The server asked for at least 1 ms (retry-after-ms); the client waited what it asked.
      expect(retries.every((retry) => retry.delayMs > 0)).toBe(true);
    } finally {
      await listening.close();
    }
  });
});

describe('client disconnect', () => {
  it('aborts the model’s signal when the HTTP client goes away mid-request', async () => {
    const never = gate();
    const iris = fakeClassifier({ gate: never.wait, batching: false });
    const listening = await listen(createServer({ models: { iris: iris.model } }), { port: 0 });
    try {
      const controller = new AbortController();
      const request = fetch(`${listening.url}/predict/iris`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(row),
        signal: controller.signal,
      });
      await vi.waitFor(() => expect(iris.calls.run).toBe(1));
      expect(iris.calls.signals[0]!.aborted).toBe(false);
      controller.abort();
      await expect(request).rejects.toThrow();
      await vi.waitFor(() => expect(iris.calls.signals[0]!.aborted).toBe(true));
      const metrics = await (await fetch(`${listening.url}/metrics`)).text();
      await vi.waitFor(async () =>
        expect(await (await fetch(`${listening.url}/metrics`)).text()).toContain('status="499"'),
      );
      expect(metrics).toContain('mlkit_http_requests_total');
    } finally {
      await listening.close({ graceMs: 1000 });
    }
  });

  it('stops a streaming generation when the client cancels the stream', async () => {
    const chat = fakeChatModel({ delayMs: 20 });
    const listening = await listen(createServer({ models: { gpt: chat.model } }), { port: 0 });
    try {
      const response = await fetch(`${listening.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt',
          stream: true,
          messages: [{ role: 'user', content: 'many words '.repeat(50) }],
        }),
      });
      const reader = response.body!.getReader();
      await reader.read();
      await reader.cancel();
      await vi.waitFor(() => expect(chat.calls.aborted).toBe(1));
    } finally {
      await listening.close({ graceMs: 1000 });
    }
  });
});
