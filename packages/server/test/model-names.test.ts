// A model's errors name it by its id, which for a local model is a path on the server's disk and for
// a proxied one an internal URL: clients read the name the model is served under.
import { classification, defineModel, UnsupportedError } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { describe, expect, it } from 'vitest';

function refusing(id: string) {
  return defineModel({
    id,
    task: classification,
    capabilities: { streaming: false, batching: false, local: true },
    async run() {
      throw new UnsupportedError(
        `${id} cannot classify this; ${id.slice(id.indexOf(':') + 1)} has no labels`,
      );
    },
  });
}

const predict = (server: ReturnType<typeof createServer>, name: string) =>
  server.fetch(
    new Request(`http://localhost/predict/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    }),
  );

describe('model errors as clients read them', () => {
  it('says the served name instead of a local path or an internal URL', async () => {
    const server = createServer({
      models: {
        sentiment: refusing('onnx:/srv/secret/models/sentiment'),
        iris: refusing('oip:http://triton.internal:8000/v2/models/iris'),
      },
    });
    for (const name of ['sentiment', 'iris']) {
      const body = JSON.stringify(await (await predict(server, name)).json());
      expect(body).toContain(`${name} cannot classify this; ${name} has no labels`);
      expect(body).not.toMatch(/srv\/secret|triton\.internal/);
    }
  });

  it('leaves a hosted id without a path as it is', async () => {
    const server = createServer({ models: { chat: refusing('openai:gpt-4o-mini') } });
    const body = JSON.stringify(await (await predict(server, 'chat')).json());
    expect(body).toContain('chat cannot classify this; gpt-4o-mini has no labels');
  });
});
