// End to end over a real socket: the OpenAI-compatible provider against the loopback test server.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOpenAICompatible, type OpenAICompatibleSettings } from '../../src/index.ts';
import {
  echoReply,
  embeddingFor,
  type OpenAIServer,
  type OpenAIServerOptions,
  scriptedFaults,
  startOpenAIServer,
} from '../support/openai-server.ts';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(options: OpenAIServerOptions = {}, settings: Partial<OpenAICompatibleSettings> = {}) {
  server = await startOpenAIServer(options);
  const provider = createOpenAICompatible({
    name: 'loopback',
    baseURL: server.url,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...settings,
  });
  return {
    server,
    provider,
    chat: provider.textGeneration('echo-1'),
    embedder: provider.embedding('embed-1'),
  };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const question = 'Wie geht es dir heute';

describe('openai-compatible over a loopback socket', () => {
  it('runs a chat completion', async () => {
    const { chat } = await setup();
    const output = await chat.run({ messages: [{ role: 'user', content: question }] });
    const expected = echoReply(question);
    expect(output).toEqual({
      text: expected.text,
      finishReason: 'stop',
      rawFinishReason: 'stop',
      usage: {
        inputTokens: 5,
        outputTokens: expected.pieces.length,
        totalTokens: 5 + expected.pieces.length,
      },
    });
  });

  it('streams multi-byte UTF-8 deltas that concatenate to the run() text, then a finish chunk with usage', async () => {
    const { chat } = await setup();
    const chunks = await collect(chat.stream({ prompt: question }));
    const deltas = chunks.filter((chunk) => chunk.type === 'text-delta');
    const expected = echoReply(question);
    expect(deltas.length).toBe(expected.pieces.length);
    expect(deltas.map((chunk) => chunk.text).join('')).toBe(expected.text);
    expect(expected.text).toContain('日本語 🚀');
    expect(chunks.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      rawFinishReason: 'stop',
      usage: {
        inputTokens: 5,
        outputTokens: expected.pieces.length,
        totalTokens: 5 + expected.pieces.length,
      },
    });
  });

  it('stops at maxTokens with finish reason length', async () => {
    const { chat } = await setup();
    const output = await chat.run({ prompt: question, maxTokens: 2 });
    expect(output.text).toBe('Echo: Wie ');
    expect(output.finishReason).toBe('length');
  });

  it('embeds over base64 and over float arrays to the same Float32Array values', async () => {
    const { embedder } = await setup();
    const texts = ['alpha', 'beta', 'gamma'];
    const output = await embedder.run({ texts });
    expect(output.embeddings).toEqual(texts.map((text) => embeddingFor(text)));
    await server!.close();
    const floats = await setup({ ignoreEncodingFormat: true });
    expect((await floats.embedder.run({ texts })).embeddings).toEqual(output.embeddings);
  });

  it('lists the server models', async () => {
    const { provider } = await setup({ models: ['a', 'b'] });
    expect((await provider.listModels()).map((model) => model.id)).toEqual(['a', 'b']);
  });

  it('sends the API key as a bearer token and maps a wrong key to AuthenticationError', async () => {
    const { chat } = await setup({ apiKey: 'secret-key-123456' }, { apiKey: 'secret-key-123456' });
    expect((await chat.run({ prompt: 'hi' })).finishReason).toBe('stop');
    const wrong = createOpenAICompatible({
      name: 'loopback',
      baseURL: server!.url,
      apiKey: 'wrong-key-1234567',
    });
    const error = await failure(wrong.textGeneration('echo-1').run({ prompt: 'hi' }));
    expect(error).toMatchObject({ code: 'authentication', status: 401 });
    expect(error.message).not.toContain('wrong-key-1234567');
  });

  it('retries after a 503 and succeeds, with one idempotency key for both attempts', async () => {
    const { chat, server } = await setup({
      fault: scriptedFaults([{ kind: 'status', status: 503, retryAfter: '0' }]),
    });
    const output = await chat.run({ prompt: 'hi' });
    expect(output.text).toBe(echoReply('hi').text);
    expect(server.stats.requests).toBe(2);
    expect([...server.stats.attempts.values()]).toEqual([2]);
  });

  it('retries a stream after a 429 with retry-after-ms and a reset before its first event', async () => {
    const { chat, server } = await setup({
      fault: scriptedFaults([{ kind: 'status', status: 429, retryAfterMs: 10 }, { kind: 'reset' }]),
    });
    const chunks = await collect(chat.stream({ prompt: 'hi' }));
    expect(chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
    expect(server.stats.requests).toBe(3);
  });

  it('throws NetworkError when the connection is reset mid-stream, without retrying', async () => {
    const { chat, server } = await setup({
      fault: scriptedFaults([{ kind: 'reset-mid-stream', afterChunks: 2 }]),
    });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of chat.stream({ prompt: question }))
          if (chunk.type === 'text-delta') seen.push(chunk.text);
      })(),
    );
    expect(error).toMatchObject({ code: 'network', provider: 'loopback' });
    expect(seen).toEqual(echoReply(question).pieces.slice(0, 2));
    expect(server.stats.requests).toBe(1);
  });

  it('throws TimeoutError (idle) when a stream stalls mid-way', async () => {
    const { chat } = await setup({ fault: scriptedFaults([{ kind: 'stall-mid-stream', afterChunks: 1 }]) });
    const error = await failure(collect(chat.stream({ prompt: question }, { idleTimeoutMs: 200 })));
    expect(error).toMatchObject({ code: 'timeout', kind: 'idle', timeoutMs: 200 });
  });

  it('throws TimeoutError (attempt) when the server never answers, after its retries', async () => {
    const { chat, server } = await setup(
      { fault: () => ({ kind: 'stall' }) },
      { timeoutMs: 100, maxRetries: 1 },
    );
    const error = await failure(chat.run({ prompt: 'hi' }));
    expect(error).toMatchObject({ code: 'timeout', kind: 'attempt' });
    expect(server.stats.requests).toBe(2);
  });

  it('throws TimeoutError (total) at the call deadline', async () => {
    const { chat } = await setup({ fault: () => ({ kind: 'stall' }) });
    expect(await failure(chat.run({ prompt: 'hi' }, { timeoutMs: 150 }))).toMatchObject({
      code: 'timeout',
      kind: 'total',
    });
  });

  it('closes the connection when the caller aborts mid-stream', async () => {
    const { chat, server } = await setup({ chunkDelayMs: 30 });
    const controller = new AbortController();
    const error = await failure(
      (async () => {
        for await (const chunk of chat.stream({ prompt: question }, { signal: controller.signal })) {
          if (chunk.type === 'text-delta') controller.abort();
        }
      })(),
    );
    expect(error).toMatchObject({ code: 'abort' });
    await vi.waitFor(() => expect(server.stats.clientClosed).toBe(1), { timeout: 2000 });
  });

  it('closes the connection when the caller leaves the loop early', async () => {
    const { chat, server } = await setup({ chunkDelayMs: 30 });
    for await (const chunk of chat.stream({ prompt: question })) {
      if (chunk.type === 'text-delta') break;
    }
    await vi.waitFor(() => expect(server.stats.clientClosed).toBe(1), { timeout: 2000 });
  });

  it('throws an error sent inside the stream as a typed error', async () => {
    const { chat } = await setup({
      fault: scriptedFaults([{ kind: 'error-in-stream', afterChunks: 1, asEvent: true }]),
    });
    const error = await failure(collect(chat.stream({ prompt: question })));
    expect(error).toMatchObject({ code: 'server' });
    expect(error.message).toMatch(/Injected error inside the stream/);
  });

  it('throws NetworkError for a stream that ends cleanly but early', async () => {
    const { chat } = await setup({ fault: scriptedFaults([{ kind: 'end-early', afterChunks: 2 }]) });
    expect(await failure(collect(chat.stream({ prompt: question })))).toMatchObject({ code: 'network' });
  });
});
