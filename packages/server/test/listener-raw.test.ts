import { createServer as createNetServer } from 'node:net';
import { InvalidInputError } from '@mlkit/core';
import { createServer, type MlkitServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeClassifier, predictRow } from './fakes.ts';
import { rawRequest } from './raw-http.ts';

const row = [5.1, 3.5, 1.4, 0.2];

describe('the Node listener answers requests as load balancers and probes send them', () => {
  let server: MlkitServer;
  let listening: Listening;

  beforeAll(async () => {
    server = createServer({
      models: { iris: fakeClassifier({ batching: false }).model },
      apiKeys: ['sk-test'],
    });
    server.app.get('/test/url', (c) => c.text(c.req.url));
    listening = await listen(server, { port: 0 });
  });
  // The tests probe readiness, which would make close() wait for load balancers.
  afterAll(() => listening.close({ drainDelayMs: 0 }));

  it("answers haproxy's default check (HTTP/1.0, no Host) on /v2/health/ready with 200, the whole body, then closes", async () => {
    const answer = await rawRequest(listening.port, 'GET /v2/health/ready HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ready: true });
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(answer.closedByServer).toBe(true);
  });

  it('answers an HTTP/1.0 liveness check without Host on /v2/health/live with 200, then closes', async () => {
    const answer = await rawRequest(listening.port, 'GET /v2/health/live HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ live: true });
    expect(answer.closedByServer).toBe(true);
  });

  it('answers HTTP/1.0 with a Host header as well', async () => {
    const answer = await rawRequest(
      listening.port,
      'GET /v2/health/ready HTTP/1.0\r\nHost: 10.0.0.7:8080\r\nUser-Agent: kube-probe/1.31\r\n\r\n',
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ready: true });
  });

  it('answers an HTTP/1.1 request without Host with 200 rather than 400', async () => {
    const answer = await rawRequest(
      listening.port,
      'GET /v2/health/ready HTTP/1.1\r\nConnection: close\r\n\r\n',
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ready: true });
    expect(answer.closedByServer).toBe(true);
  });

  it('gives a request without Host the listening address as its URL origin', async () => {
    const answer = await rawRequest(
      listening.port,
      'GET /test/url HTTP/1.0\r\nAuthorization: Bearer sk-test\r\n\r\n',
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(`${listening.url}/test/url`);
  });

  it('keeps a Host header that was sent as the URL origin', async () => {
    const answer = await rawRequest(
      listening.port,
      'GET /test/url HTTP/1.0\r\nHost: replica-1.internal:9000\r\nAuthorization: Bearer sk-test\r\n\r\n',
    );
    expect(answer.body).toBe('http://replica-1.internal:9000/test/url');
  });

  it('still needs the API key on model routes when the request has no Host', async () => {
    const body = JSON.stringify({ data: row });
    const answer = await rawRequest(
      listening.port,
      `POST /predict/iris HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(401);
  });

  it('serves a normal HTTP/1.1 request with Host and an API key', async () => {
    const body = JSON.stringify({ data: row });
    const answer = await rawRequest(
      listening.port,
      `POST /predict/iris HTTP/1.1\r\nHost: 127.0.0.1:${listening.port}\r\nAuthorization: Bearer sk-test\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).prediction).toBe(predictRow(row).label);
  });

  it('serves fetch as before', async () => {
    const response = await fetch(`${listening.url}/predict/iris`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ data: row }),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).prediction).toBe(predictRow(row).label);
  });

  it('answers a garbage request line with 400 and closes the connection', async () => {
    const answer = await rawRequest(listening.port, 'HELLO THERE\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.closedByServer).toBe(true);
  });

  it('answers binary junk with 400 and closes the connection', async () => {
    const answer = await rawRequest(
      listening.port,
      '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n',
    );
    expect(answer.status).toBe(400);
    expect(answer.closedByServer).toBe(true);
  });

  it('answers an invalid Host header with 400', async () => {
    const answer = await rawRequest(listening.port, 'GET /v2/health/ready HTTP/1.0\r\nHost: a b/c\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.closedByServer).toBe(true);
  });
});

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('PORT and HOST', () => {
  const opened: Listening[] = [];
  const open = async (options?: Parameters<typeof listen>[1]) => {
    const listening = await listen(createServer({ models: { iris: fakeClassifier().model } }), options);
    opened.push(listening);
    return listening;
  };
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(opened.splice(0).map((listening) => listening.close()));
  });

  it('listens on PORT when no port is given', async () => {
    const port = await freePort();
    vi.stubEnv('PORT', String(port));
    const listening = await open();
    expect(listening.port).toBe(port);
    expect((await fetch(`${listening.url}/v2/health/live`)).status).toBe(200);
  });

  it('listens on HOST when no host is given', async () => {
    vi.stubEnv('HOST', '127.0.0.2');
    const listening = await open({ port: 0 });
    expect(listening.host).toBe('127.0.0.2');
    expect(listening.url).toBe(`http://127.0.0.2:${listening.port}`);
    expect(listening.httpServer.address()).toMatchObject({ address: '127.0.0.2' });
  });

  it('prefers the port and host options over PORT and HOST', async () => {
    vi.stubEnv('PORT', 'not-used');
    vi.stubEnv('HOST', '127.0.0.2');
    const listening = await open({ port: 0, host: '127.0.0.1' });
    expect(listening.httpServer.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('treats an empty PORT as unset', async () => {
    vi.stubEnv('PORT', '');
    vi.stubEnv('HOST', '');
    const listening = await open({ port: 0 });
    expect(listening.host).toBe('127.0.0.1');
  });

  it.each(['http', '80.5', '-1', '65536', '8080abc'])(
    'refuses PORT=%s with an error naming PORT',
    async (value) => {
      vi.stubEnv('PORT', value);
      const failure = open().then(
        () => undefined,
        (error: unknown) => error,
      );
      const error = await failure;
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toContain(
        `PORT must be a port number from 0 to 65535 (got "${value}")`,
      );
    },
  );
});
