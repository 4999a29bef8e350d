// Timers that must stop (or keep running) at the right moment: the first-chunk limit ends with the
// first event, and a caller's signal never replaces the call's deadline.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors.ts';
import { createTransport } from '../../src/http/index.ts';
import type { TransportOptions } from '../../src/http/types.ts';
import { createOpenAICompatible } from '../../src/index.ts';
import { type OpenAIServer, scriptedFaults, startOpenAIServer } from '../support/openai-server.ts';
import { anyObject, collect, failure, type LoopbackServer, loopback } from './support.ts';

let server: LoopbackServer | undefined;
let openai: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  await openai?.close();
  server = undefined;
  openai = undefined;
});

function transport(options: Partial<TransportOptions> = {}) {
  return createTransport({
    provider: 'test',
    baseURL: server!.url,
    maxRetries: 0,
    ...options,
  });
}

const pause = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(resolve, ms, value));

/** A stream whose first event comes at once and the rest `gapMs` apart: `count` events in all. */
function spacedEvents(count: number, gapMs: number) {
  return (_: unknown, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: 0\n\n');
    let sent = 1;
    const timer = setInterval(() => {
      res.write(`data: ${sent}\n\n`);
      if (++sent === count) {
        clearInterval(timer);
        res.end();
      }
    }, gapMs);
    res.on('close', () => clearInterval(timer));
  };
}

describe('first-chunk timeout', () => {
  it('lets a healthy stream run longer than firstChunkTimeoutMs once its first event has come', async () => {
    // 6 events 120 ms apart: about 600 ms in all, three times the first-chunk limit, every gap well
    // under the idle limit. A first-chunk timer left running would end it after 200 ms.
    server = await loopback(spacedEvents(6, 120));
    const events = await collect(
      transport().stream({ path: 'chat', body: {}, firstChunkTimeoutMs: 200, idleTimeoutMs: 2_000 }),
    );
    expect(events.map((event) => event.data)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('lets a hosted model stream longer than its firstChunkTimeoutMs', async () => {
    openai = await startOpenAIServer({ chunkDelayMs: 50 });
    const chat = createOpenAICompatible({
      name: 'loopback',
      baseURL: openai.url,
      maxRetries: 0,
    }).textGeneration('echo-1');
    const prompt = 'one two three four five six';
    const chunks = await collect(chat.stream({ prompt }, { firstChunkTimeoutMs: 250, idleTimeoutMs: 2_000 }));
    const text = chunks.map((chunk) => (chunk.type === 'text-delta' ? chunk.text : '')).join('');
    expect(text).toContain('six');
    expect(chunks.at(-1)).toMatchObject({ type: 'finish' });
  });
});

/**
 * A hosted chat model whose own limits (1 s per attempt, 1 s idle) are far above the deadlines under
 * test: a lost deadline then ends the call with another kind of timeout, failing the assertion
 * instead of hanging the test.
 */
const stalledChat = (baseURL: string) =>
  createOpenAICompatible({
    name: 'loopback',
    baseURL,
    maxRetries: 0,
    timeoutMs: 1_000,
    idleTimeoutMs: 1_000,
  }).textGeneration('echo-1');

describe('the deadline when the caller also passes a signal', () => {
  it('times out a stalled json() call by its timeoutMs even with a signal that never fires', async () => {
    server = await loopback(() => {}); // never answers
    const signal = new AbortController().signal;
    const call = transport().json({ path: 'chat', body: {}, schema: anyObject, signal, timeoutMs: 50 });
    // At most 1 s: a lost limit then fails the assertion below instead of hanging the test.
    const error = await Promise.race([failure(call), pause(1_000, 'still pending after 1 s')]);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'attempt', timeoutMs: 50 });
  });

  it('times out a stalled hosted run() by its timeoutMs even with a signal that never fires', async () => {
    openai = await startOpenAIServer({ fault: scriptedFaults([{ kind: 'stall' }]) });
    const chat = stalledChat(openai.url);
    const signal = new AbortController().signal;
    const error = await failure(chat.run({ prompt: 'hello' }, { signal, timeoutMs: 50 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'total', timeoutMs: 50 });
  });

  it('times out a hosted stream that stalls mid-way by its timeoutMs even with a signal that never fires', async () => {
    openai = await startOpenAIServer({
      fault: scriptedFaults([{ kind: 'stall-mid-stream', afterChunks: 1 }]),
    });
    const chat = stalledChat(openai.url);
    const signal = new AbortController().signal;
    const error = await failure(collect(chat.stream({ prompt: 'hello there' }, { signal, timeoutMs: 80 })));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'total', timeoutMs: 80 });
  });
});
