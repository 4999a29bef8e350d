import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { describe, expect, it, vi } from 'vitest';
import { fakeChatModel, fakeClassifier, gate, get, postJson, replyOf } from './fakes.ts';

const row = { data: [5.1, 3.5, 1.4, 0.2] };

async function readSse(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((event) => event.replace(/^data: /, ''));
}

describe('graceful shutdown', () => {
  it('finishes a request and a stream in flight, refuses new requests, then disposes each model once', async () => {
    const open = gate();
    const iris = fakeClassifier({ gate: open.wait, batching: false });
    const chat = fakeChatModel({ delayMs: 15 });
    const events: string[] = [];
    const server = createServer({
      models: { iris: iris.model, gpt: chat.model, 'gpt-alias': chat.model },
      onEvent: (event) => {
        if (event.type === 'shutdown') events.push(event.phase);
      },
    });
    const listening = await listen(server, { port: 0 });

    const request = fetch(`${listening.url}/predict/iris`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(row),
    });
    const stream = await fetch(`${listening.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt',
        stream: true,
        messages: [{ role: 'user', content: 'one two three four five' }],
      }),
    });
    expect(stream.status).toBe(200);
    await vi.waitFor(() => expect(iris.calls.run).toBe(1));

    const closed = listening.close({ graceMs: 10_000 });
    // New work is refused at once: by the handler (503) and by the listener (no new connections).
    const refused = await postJson(server, '/predict/iris', row);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'shutting_down' });
    expect((await get(server, '/v2/health/ready')).status).toBe(503);
    expect((await get(server, '/v2/health/live')).status).toBe(200);
    const overHttp = await fetch(`${listening.url}/predict/iris`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify(row),
    }).then(
      (response) => response.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(overHttp);

    const events_ = readSse(stream);
    open.open();
    expect((await request).status).toBe(200);
    const data = await events_;
    expect(data.at(-1)).toBe('[DONE]');
    const text = data
      .slice(0, -1)
      .map((event) => JSON.parse(event).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe(replyOf({ messages: [{ role: 'user', content: 'one two three four five' }] }));

    await closed;
    expect(iris.calls.disposed).toBe(1);
    expect(chat.calls.disposed).toBe(1);
    expect(events).toEqual(['not-ready', 'draining', 'closed']);
  });

  it('aborts what is still running when the grace period is over', async () => {
    const never = gate();
    const iris = fakeClassifier({ gate: never.wait, batching: false });
    const server = createServer({ models: { iris: iris.model } });
    const pending = postJson(server, '/predict/iris', row);
    await vi.waitFor(() => expect(iris.calls.run).toBe(1));
    await server.close({ graceMs: 30 });
    const response = await pending;
    expect(response.status).toBe(503);
    expect(iris.calls.signals[0]!.aborted).toBe(true);
    expect(iris.calls.disposed).toBe(1);
  });

  it('is idempotent', async () => {
    const iris = fakeClassifier();
    const server = createServer({ models: { iris: iris.model } });
    await Promise.all([server.close(), server.close()]);
    await server.close();
    expect(iris.calls.disposed).toBe(1);
  });
});
