import { createServer, type ServerOptions } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import { fakeChatModel } from './fakes.ts';

const KEY = 'sk-cors-test-key-123';
const APP = 'http://app.example:5173';

const serverWith = (options: Partial<ServerOptions> = {}) =>
  createServer({ models: { 'tiny-gpt': fakeChatModel().model }, apiKeys: [KEY], ...options });

const preflight = (server: ReturnType<typeof serverWith>, origin: string, path = '/v1/chat/completions') =>
  server.fetch(
    new Request(`http://127.0.0.1${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-stainless-os',
      },
    }),
  );

const chat = (server: ReturnType<typeof serverWith>, origin: string, key = KEY) =>
  server.fetch(
    new Request('http://127.0.0.1/v1/chat/completions', {
      method: 'POST',
      headers: { origin, authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-gpt', messages: [{ role: 'user', content: 'hi' }] }),
    }),
  );

describe('CORS', () => {
  it('is off by default: no allow-origin header, and a preflight meets auth like any request', async () => {
    const server = serverWith();
    expect((await chat(server, APP)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(server, APP)).status).toBe(401);
  });

  it('answers a preflight from an allowed origin with 204 before auth, allowing the asked headers', async () => {
    const response = await preflight(serverWith({ cors: { origins: [APP] } }), APP);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization,content-type,x-stainless-os',
    );
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('answers a preflight on a route that has no OPTIONS handler with 204, not 405 or 404', async () => {
    const server = serverWith({ cors: { origins: '*' } });
    expect((await preflight(server, APP, '/v2/models/tiny-gpt/infer')).status).toBe(204);
    expect((await preflight(server, APP, '/v1/models')).status).toBe(204);
  });

  it('gives an origin that is not listed no allow-origin header, so the browser refuses', async () => {
    const server = serverWith({ cors: { origins: [APP] } });
    const response = await preflight(server, 'http://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect((await chat(server, 'http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('puts allow-origin and the exposed headers on answers, errors included', async () => {
    const server = serverWith({ cors: { origins: [APP], exposeHeaders: ['x-custom'] } });
    const ok = await chat(server, APP);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    const denied = await chat(server, APP, 'sk-wrong-key-000');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(APP);
    expect(denied.headers.get('access-control-expose-headers')?.split(',')).toEqual([
      'Retry-After',
      'retry-after-ms',
      'WWW-Authenticate',
      'x-request-id',
      'x-custom',
    ]);
  });

  it('allows any origin with "*"', async () => {
    const response = await chat(serverWith({ cors: { origins: '*' } }), 'http://anything.example');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses an origin that is not a URL when the server is created, naming the option', () => {
    expect(() => serverWith({ cors: { origins: ['app.example'] } })).toThrow(/options\.cors\.origins/);
  });
});
