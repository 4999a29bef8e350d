import { constants } from 'node:os';
import { defineModel, textGeneration } from '@mlkit/core';
import { createServer, type ServerEvent } from '@mlkit/server';
import { closeOnSignals, listen } from '@mlkit/server/node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeClassifier, gate, get, postJson, predictRow } from './fakes.ts';
import { type RawAnswer, rawRequest, tryConnect } from './raw-http.ts';

const row = [5.1, 3.5, 1.4, 0.2];
const usage = { inputTokens: 1, outputTokens: 2, totalTokens: 3 };

/** Streams "one", then waits for `release` before " two" and the finish. */
function gatedChat(timeline: string[]) {
  const started = gate();
  const release = gate();
  const model = defineModel({
    id: 'fake:gated-chat',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true },
    async run() {
      return { text: 'one two', finishReason: 'stop' as const, usage };
    },
    async *stream() {
      yield { type: 'text-delta' as const, text: 'one' };
      started.open();
      await release.wait();
      yield { type: 'text-delta' as const, text: ' two' };
      yield { type: 'finish' as const, finishReason: 'stop' as const, usage };
    },
    dispose() {
      timeline.push('dispose:chat');
    },
  });
  return { model, started: started.wait, release: release.open };
}

/** A keep-alive GET: it ends only when the server closes the connection (as it does while draining). */
const rawGet = (path: string, port: number) => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: lb\r\n\r\n`);

describe('close() drains in the order load balancers expect (one shutdown, step by step)', () => {
  // Long enough for four local requests on a busy machine; the order is what is checked, not the time.
  const DRAIN_DELAY_MS = 1_000;
  const timeline: string[] = [];
  const events: ServerEvent[] = [];
  const answers: Record<string, RawAnswer> = {};
  let streamed = '';

  beforeAll(async () => {
    const chat = gatedChat(timeline);
    const iris = fakeClassifier({ batching: false });
    const server = createServer({
      models: { iris: iris.model, gpt: chat.model },
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'shutdown') timeline.push(`phase:${event.phase}`);
        // Fires when the server sent a request's last byte (a stream's too).
        if (event.type === 'request' && event.route === '/v1/chat/completions') timeline.push('stream:sent');
      },
    });
    const originalDispose = iris.model.dispose.bind(iris.model);
    iris.model.dispose = async () => {
      timeline.push('dispose:iris');
      await originalDispose();
    };
    const listening = await listen(server, { port: 0 });
    const { port } = listening;

    const probe = await rawRequest(
      port,
      'GET /v2/health/ready HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n',
    );
    timeline.push(`ready:${probe.status}`);
    const stream = await fetch(`${listening.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'count' }] }),
    });
    await chat.started();

    const closed = listening.close({ drainDelayMs: DRAIN_DELAY_MS, graceMs: 10_000 });

    // During the delay: not ready, but serving.
    answers.ready = await rawGet('/v2/health/ready', port);
    timeline.push(`ready:${answers.ready.status}`);
    answers.modelReady = await rawGet('/v2/models/iris/ready', port);
    timeline.push(`model-ready:${answers.modelReady.status}`);
    const body = JSON.stringify({ data: row });
    answers.predict = await rawRequest(
      port,
      `POST /predict/iris HTTP/1.1\r\nHost: lb\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    timeline.push(`predict:${answers.predict.status}`);
    answers.live = await rawGet('/v2/health/live', port);
    timeline.push(`live:${answers.live.status}`);

    // After the delay: the listener is closed, the handler refuses, liveness still answers.
    await vi.waitFor(() => expect(timeline).toContain('phase:draining'), {
      timeout: DRAIN_DELAY_MS + 10_000,
    });
    timeline.push(`connect:${await tryConnect(port)}`);
    timeline.push(`predict-in-process:${(await postJson(server, '/predict/iris', { data: row })).status}`);
    timeline.push(`live-in-process:${(await get(server, '/v2/health/live')).status}`);

    chat.release();
    streamed = await stream.text();
    timeline.push('stream:done');
    await closed;
    timeline.push('close:resolved');
    timeline.push(`live-after-close:${(await get(server, '/v2/health/live')).status}`);
  });

  const between = (from: string, to: string) =>
    timeline.slice(timeline.indexOf(from) + 1, timeline.indexOf(to));

  it('is ready before close()', () => {
    expect(timeline.indexOf('ready:200')).toBeLessThan(timeline.indexOf('phase:not-ready'));
  });

  it('answers readiness 503 at once while /predict and liveness still answer 200 during the delay', () => {
    expect(between('phase:not-ready', 'phase:draining')).toEqual([
      'ready:503',
      'model-ready:503',
      'predict:200',
      'live:200',
    ]);
    expect(JSON.parse(answers.ready!.body)).toEqual({ ready: false });
    expect(JSON.parse(answers.predict!.body).prediction).toBe(predictRow(row).label);
  });

  it('asks each kept-alive connection to close after its answer during the delay', () => {
    expect(answers.predict!.headers.connection).toBe('close');
    expect(answers.predict!.closedByServer).toBe(true);
  });

  it('reports the drain delay it applies in the not-ready event', () => {
    expect(events).toContainEqual({
      type: 'shutdown',
      phase: 'not-ready',
      inflight: 1,
      drainDelayMs: DRAIN_DELAY_MS,
    });
  });

  it('refuses new connections once the delay is over', () => {
    expect(timeline.indexOf('connect:refused')).toBeGreaterThan(timeline.indexOf('phase:draining'));
  });

  it('answers new requests that still reach the handler 503 once the delay is over', () => {
    expect(timeline).toContain('predict-in-process:503');
  });

  it('lets a stream that was in flight finish after the listener closed', () => {
    expect(timeline.indexOf('stream:done')).toBeGreaterThan(timeline.indexOf('connect:refused'));
    const data = streamed
      .split('\n\n')
      .filter(Boolean)
      .map((event) => event.replace(/^data: /, ''));
    expect(data.at(-1)).toBe('[DONE]');
    const text = data
      .slice(0, -1)
      .map((event) => JSON.parse(event).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe('one two');
  });

  it('disposes every model last, once, after the stream was sent', () => {
    const after = timeline
      .slice(timeline.indexOf('stream:sent') + 1)
      .filter((entry) => entry !== 'stream:done');
    expect(after.slice(0, 2).sort()).toEqual(['dispose:chat', 'dispose:iris']);
    expect(after.slice(2)).toEqual(['phase:closed', 'close:resolved', 'live-after-close:200']);
    expect(timeline.filter((entry) => entry.startsWith('dispose:'))).toHaveLength(2);
    expect(timeline.indexOf('stream:sent')).toBeGreaterThan(timeline.indexOf('connect:refused'));
  });

  it('answers liveness 200 throughout', () => {
    const live = timeline.filter((entry) => entry.startsWith('live'));
    expect(live).toEqual(['live:200', 'live-in-process:200', 'live-after-close:200']);
  });
});

describe('the drain delay', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const shutdownEvents = (events: ServerEvent[]) =>
    events.filter((event) => event.type === 'shutdown').map((event) => ('phase' in event ? event.phase : ''));

  it('is skipped when no readiness probe was answered since start', async () => {
    const events: ServerEvent[] = [];
    const server = createServer({
      models: { iris: fakeClassifier().model },
      drainDelayMs: 60_000,
      onEvent: (event) => events.push(event),
    });
    const listening = await listen(server, { port: 0 });
    const closed = listening.close();
    // Refused at once: no delay to serve through.
    expect((await postJson(server, '/predict/iris', { data: row })).status).toBe(503);
    await closed;
    expect(events).toContainEqual({ type: 'shutdown', phase: 'not-ready', inflight: 0, drainDelayMs: 0 });
    expect(await tryConnect(listening.port)).toBe('refused');
  });

  it('defaults to 10 s once readiness was probed, serving all along', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const events: ServerEvent[] = [];
    const server = createServer({
      models: { iris: fakeClassifier({ batching: false }).model },
      batching: false,
      onEvent: (event) => events.push(event),
    });
    expect((await get(server, '/v2/health/ready')).status).toBe(200);
    const closed = server.close();
    expect(events).toContainEqual({
      type: 'shutdown',
      phase: 'not-ready',
      inflight: 0,
      drainDelayMs: 10_000,
    });

    await vi.advanceTimersByTimeAsync(9_999);
    expect((await get(server, '/v2/health/ready')).status).toBe(503);
    expect((await postJson(server, '/predict/iris', { data: row })).status).toBe(200);
    expect(shutdownEvents(events)).toEqual(['not-ready']);

    await vi.advanceTimersByTimeAsync(1);
    expect(shutdownEvents(events)).toEqual(['not-ready', 'draining', 'closed']);
    await closed;
    expect((await postJson(server, '/predict/iris', { data: row })).status).toBe(503);
  });

  it("takes the server's drainDelayMs when close() names none", async () => {
    const events: ServerEvent[] = [];
    const server = createServer({
      models: { iris: fakeClassifier().model },
      drainDelayMs: 20,
      onEvent: (event) => events.push(event),
    });
    await get(server, '/v2/models/iris/ready');
    await server.close();
    expect(events).toContainEqual({ type: 'shutdown', phase: 'not-ready', inflight: 0, drainDelayMs: 20 });
  });

  it("lets close({ drainDelayMs }) override the server's", async () => {
    const events: ServerEvent[] = [];
    const server = createServer({
      models: { iris: fakeClassifier().model },
      drainDelayMs: 60_000,
      onEvent: (event) => events.push(event),
    });
    await get(server, '/v2/health/ready');
    await server.close({ drainDelayMs: 0 });
    expect(events).toContainEqual({ type: 'shutdown', phase: 'not-ready', inflight: 0, drainDelayMs: 0 });
  });

  it('refuses a negative drainDelayMs option naming it', () => {
    expect(() => createServer({ models: { iris: fakeClassifier().model }, drainDelayMs: -1 })).toThrow(
      /options\.drainDelayMs/,
    );
  });

  it('closes the listener too when server.close() ran before listening.close()', async () => {
    const server = createServer({ models: { iris: fakeClassifier().model } });
    const listening = await listen(server, { port: 0 });
    await server.close();
    await listening.close();
    expect(await tryConnect(listening.port)).toBe('refused');
  });
});

// A signal nothing else in the test process reacts to, emitted in-process (no real signal is sent).
const SIGNAL = 'SIGUSR2';

describe('closeOnSignals', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('closes the listener with the drain on the signal', async () => {
    const iris = fakeClassifier();
    const listening = await listen(createServer({ models: { iris: iris.model } }), { port: 0 });
    const remove = closeOnSignals(listening, { signals: [SIGNAL], exit: false });
    process.emit(SIGNAL, SIGNAL);
    await vi.waitFor(() => expect(iris.calls.disposed).toBe(1));
    expect(await tryConnect(listening.port)).toBe('refused');
    remove();
  });

  it('passes its close options on', async () => {
    const close = vi.fn(async () => {});
    const remove = closeOnSignals({ close }, { signals: [SIGNAL], exit: false, drainDelayMs: 7, graceMs: 9 });
    process.emit(SIGNAL, SIGNAL);
    expect(close).toHaveBeenCalledWith({ drainDelayMs: 7, graceMs: 9 });
    remove();
  });

  it('exits once closed', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const remove = closeOnSignals({ close: async () => {} }, { signals: [SIGNAL] });
    process.emit(SIGNAL, SIGNAL);
    await vi.waitFor(() => expect(exit).toHaveBeenCalledTimes(1));
    expect(exit).toHaveBeenCalledWith();
    remove();
  });

  it('exits at once with 128 + the signal number on a second signal', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const remove = closeOnSignals({ close: () => new Promise(() => {}) }, { signals: [SIGNAL] });
    process.emit(SIGNAL, SIGNAL);
    expect(exit).not.toHaveBeenCalled();
    process.emit(SIGNAL, SIGNAL);
    expect(exit).toHaveBeenCalledWith(128 + constants.signals[SIGNAL]);
    remove();
  });

  it('removes its handlers when told', () => {
    const before = process.listenerCount(SIGNAL);
    const remove = closeOnSignals({ close: async () => {} }, { signals: [SIGNAL], exit: false });
    expect(process.listenerCount(SIGNAL)).toBe(before + 1);
    remove();
    expect(process.listenerCount(SIGNAL)).toBe(before);
  });
});
