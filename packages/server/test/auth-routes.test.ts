// With apiKeys set, every model route answers 401 without a key and with a wrong one, whatever its
// protocol; only the health probes stay open. Each route also answers its real answer with a right
// key, which shows the request reached it (a 401 for a route that does not exist would prove nothing).
import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';
import { fakeChatModel, fakeClassifier, fakeEmbeddingModel, fakeTensorModel } from './fakes.ts';

const KEY = 'sk-live-route-key-0123456789';
const WRONG = 'sk-live-wrong-key-9876543210';

const server = createServer({
  models: {
    echo: fakeTensorModel().model,
    iris: fakeClassifier().model,
    bert: fakeEmbeddingModel().model,
    'tiny-gpt': fakeChatModel().model,
  },
  apiKeys: [KEY],
});

interface Route {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

const protectedRoutes: Route[] = [
  // OpenAI-compatible
  { method: 'GET', path: '/v1/models' },
  { method: 'GET', path: '/v1/models/iris' },
  {
    method: 'POST',
    path: '/v1/chat/completions',
    body: { model: 'tiny-gpt', messages: [{ role: 'user', content: 'hi' }] },
  },
  { method: 'POST', path: '/v1/embeddings', body: { model: 'bert', input: ['hello'] } },
  // Open Inference Protocol v2: server and model metadata, readiness, inference
  { method: 'GET', path: '/v2' },
  { method: 'GET', path: '/v2/models/echo' },
  { method: 'GET', path: '/v2/models/echo/versions/1' },
  { method: 'GET', path: '/v2/models/echo/ready' },
  {
    method: 'POST',
    path: '/v2/models/echo/infer',
    body: { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
  },
  {
    method: 'POST',
    path: '/v2/models/echo/versions/1/infer',
    body: { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
  },
  // /predict
  { method: 'POST', path: '/predict/iris', body: { data: [5.1, 3.5, 1.4, 0.2] } },
];

const healthRoutes: Route[] = [
  { method: 'GET', path: '/v2/health/live' },
  { method: 'GET', path: '/v2/health/ready' },
];

function send(route: Route, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (route.body !== undefined) headers['content-type'] = 'application/json';
  if (authorization !== undefined) headers.authorization = authorization;
  return server.fetch(
    new Request(`http://mlkit.test${route.path}`, {
      method: route.method,
      headers,
      ...(route.body !== undefined && { body: JSON.stringify(route.body) }),
    }),
  );
}

const name = (route: Route) => `${route.method} ${route.path}`;

describe('API keys on every route family', () => {
  it.each(protectedRoutes.map((route) => [name(route), route] as const))(
    '%s answers 401 without a key',
    async (_, route) => {
      const response = await send(route);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
    },
  );

  it.each(protectedRoutes.map((route) => [name(route), route] as const))(
    '%s answers 401 with a wrong key, without echoing either key',
    async (_, route) => {
      const response = await send(route, `Bearer ${WRONG}`);
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).not.toContain(WRONG);
      expect(text).not.toContain(KEY);
    },
  );

  it.each(protectedRoutes.map((route) => [name(route), route] as const))(
    '%s answers 200 with the right key',
    async (_, route) => {
      const response = await send(route, `Bearer ${KEY}`);
      expect(response.status).toBe(200);
    },
  );

  it.each(healthRoutes.map((route) => [name(route), route] as const))(
    '%s stays open without a key',
    async (_, route) => {
      expect((await send(route)).status).toBe(200);
    },
  );

  it('names the missing key in the OpenAI error shape on /v1 routes', async () => {
    const response = await send(protectedRoutes[2]!);
    expect((await response.json()).error).toMatchObject({ code: 'missing_api_key' });
  });
});
