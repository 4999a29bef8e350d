import { connect, type Socket } from 'node:net';
import { createServer, type Limits, type ServerEvent } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeChatModel, fakeClassifier, fakeTensorModel, postJson } from './fakes.ts';

function setup(limits: Limits = {}) {
  const logger = { error: vi.fn(), warn: vi.fn() };
  const events: ServerEvent[] = [];
  const server = createServer({
    models: {
      iris: fakeClassifier().model,
      'tiny-gpt': fakeChatModel().model,
      adder: fakeTensorModel().model,
    },
    limits,
    logger,
    onEvent: (event) => events.push(event),
  });
  return { server, logger, events };
}

const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

describe('JSON nesting depth', () => {
  it('answers 400 json_too_deep for OIP data nested 10,000 deep', async () => {
    const body = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":${nested(10_000)}}]}`;
    const response = await postJson(setup().server, '/v2/models/adder/infer', body);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain('maxJsonDepth');
  });

  it('answers 400 json_too_deep for an OpenAI body with one value nested 5,000 deep', async () => {
    const body = `{"model":"tiny-gpt","messages":[{"role":"user","content":"hi","name":${nested(5_000)}}]}`;
    const response = await postJson(setup().server, '/v1/chat/completions', body);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'json_too_deep',
    });
  });

  it('answers 400 json_too_deep on /predict for objects nested past the limit', async () => {
    const body = `{"data":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
    const response = await postJson(setup().server, '/predict/iris', body);
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe('json_too_deep');
  });

  it('logs nothing for a body that is too deep', async () => {
    const { server, logger } = setup();
    const body = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":${nested(10_000)}}]}`;
    expect((await postJson(server, '/v2/models/adder/infer', body)).status).toBe(400);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('follows limits.maxJsonDepth: depth 3 passes a limit of 3, depth 4 does not', async () => {
    const { server } = setup({ maxJsonDepth: 3 });
    expect((await postJson(server, '/predict/iris', '{"data":[[1,2,3,4]]}')).status).toBe(200);
    const response = await postJson(server, '/predict/iris', '{"data":[[[1,2,3,4]]]}');
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain('3');
  });

  it('does not count brackets inside strings, escaped quotes included', async () => {
    const text = `\\"${'[{'.repeat(500)}`;
    const response = await postJson(setup().server, '/predict/iris', `{"text":"${text}"}`);
    expect(response.status).toBe(200);
  });
});

/** A raw connection: what a misbehaving client sends, byte by byte. */
function rawSocket(listening: Listening): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(listening.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The first response the server sends (status line, headers, body), or '' when it just closes. */
function answerOf(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) resolve(text);
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
  });
}

const head = (path: string, contentLength: number) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;

let listening: Listening | undefined;
afterEach(async () => {
  await listening?.close({ graceMs: 0 });
  listening = undefined;
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('clients that leave while their body is read', () => {
  it('are recorded as 499 and logged as nothing, for many clients at once', async () => {
    const { server, logger, events } = setup();
    listening = await listen(server, { port: 0 });
    const clients = 50;
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const socket = await rawSocket(listening!);
        const path = ['/predict/iris', '/v1/chat/completions', '/v2/models/adder/infer'][i % 3]!;
        socket.write(`${head(path, 1000)}{"data":[1,`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        socket.destroy();
      }),
    );
    const requests = () => events.filter((e) => e.type === 'request');
    await until(() => requests().length === clients);
    expect(requests().map((e) => (e as { status: number }).status)).toEqual(Array(clients).fill(499));
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(logger.error).not.toHaveBeenCalled();
    const metrics = await (await server.fetch(new Request('http://mlkit.test/metrics'))).text();
    const closed = metrics
      .split('\n')
      .filter((line) => line.startsWith('mlkit_http_requests_total{') && line.includes('status="499"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(closed).toBe(clients);
    expect(metrics).not.toContain('status="500"');
  });
});

describe('slow bodies', () => {
  it('answers 408 to a body that arrives one byte at a time past requestTimeoutMs', async () => {
    const { server, logger } = setup({ requestTimeoutMs: 200 });
    listening = await listen(server, { port: 0 });
    const socket = await rawSocket(listening);
    const answer = answerOf(socket);
    socket.write(head('/predict/iris', 100));
    const body = '{"data":[1,2,3,4]}'.padEnd(100, ' ');
    let sent = 0;
    const dribble = setInterval(() => {
      if (!socket.destroyed && sent < body.length) socket.write(body[sent++]!);
    }, 20);
    try {
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toContain('requestTimeoutMs');
    } finally {
      clearInterval(dribble);
      socket.destroy();
    }
    expect(sent).toBeLessThan(body.length);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('answers 408 through fetch() alone (no Node listener) when the body stalls', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"data":'));
      },
    });
    const request = new Request('http://mlkit.test/predict/iris', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    const response = await setup({ requestTimeoutMs: 50 }).server.fetch(request);
    expect(response.status).toBe(408);
    expect((await response.json()).code).toBe('request_timeout');
  });

  it('sets Node’s headersTimeout and requestTimeout from the listen options', async () => {
    listening = await listen(setup().server, { port: 0, headersTimeoutMs: 5_000, receiveTimeoutMs: 7_000 });
    expect(listening.httpServer.headersTimeout).toBe(5_000);
    expect(listening.httpServer.requestTimeout).toBe(7_000);
  });

  it('fits Node’s requestTimeout to limits.requestTimeoutMs by default', async () => {
    listening = await listen(setup({ requestTimeoutMs: 2_000 }).server, { port: 0 });
    expect(listening.httpServer.requestTimeout).toBeGreaterThanOrEqual(2_000);
    expect(listening.httpServer.requestTimeout).toBeLessThan(300_000);
    expect(listening.httpServer.headersTimeout).toBeLessThanOrEqual(listening.httpServer.requestTimeout);
  });

  it('closes a connection whose headers dribble past headersTimeoutMs', async () => {
    listening = await listen(setup().server, { port: 0, headersTimeoutMs: 100 });
    const socket = await rawSocket(listening);
    const answer = answerOf(socket);
    socket.write('POST /predict/iris HTTP/1.1\r\n');
    const dribble = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
    }, 20);
    try {
      expect(await answer).toMatch(/^(HTTP\/1\.1 408 |$)/);
    } finally {
      clearInterval(dribble);
      socket.destroy();
    }
  });
});

describe('body size', () => {
  it('answers 413 when chunks each under maxBodyBytes add up to more', async () => {
    const { server } = setup({ maxBodyBytes: 1024 });
    listening = await listen(server, { port: 0 });
    const socket = await rawSocket(listening);
    const answer = answerOf(socket);
    socket.write(
      'POST /predict/iris HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = '1,'.repeat(150); // 300 bytes: each chunk is well under the limit
    socket.write(`${(9).toString(16)}\r\n{"data":[\r\n`);
    for (let i = 0; i < 5; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    expect(await answer).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
  });
});
