import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createOpenAICompatible, type ModelEvent } from '../../../src/index.ts';
import { BASE_URL, failure, mockServer } from './support.ts';

const server = mockServer();

describe('openai-compatible model listing', () => {
  it('lists the models of GET models', async () => {
    server.use(
      http.get(`${BASE_URL}/models`, () =>
        HttpResponse.json({
          object: 'list',
          data: [
            { id: 'llama-3', object: 'model', created: 1700000000, owned_by: 'vllm' },
            { id: 'bge-small', object: 'model' },
          ],
        }),
      ),
    );
    const events: ModelEvent[] = [];
    const models = await createOpenAICompatible({
      name: 'vllm',
      baseURL: BASE_URL,
      onEvent: (e) => events.push(e),
    }).listModels();
    expect(models).toEqual([{ id: 'llama-3', created: 1700000000, ownedBy: 'vllm' }, { id: 'bge-small' }]);
    expect(events.map((event) => event.type)).toEqual(['request', 'response']);
  });

  it('rejects a listing of the wrong shape with ResponseValidationError', async () => {
    server.use(http.get(`${BASE_URL}/models`, () => HttpResponse.json({ models: [] })));
    const error = await failure(createOpenAICompatible({ name: 'vllm', baseURL: BASE_URL }).listModels());
    expect(error).toMatchObject({ code: 'response_validation', provider: 'vllm' });
  });

  it('maps a 401 to AuthenticationError', async () => {
    server.use(
      http.get(`${BASE_URL}/models`, () =>
        HttpResponse.json({ error: { message: 'bad key' } }, { status: 401 }),
      ),
    );
    const error = await failure(
      createOpenAICompatible({ name: 'vllm', baseURL: BASE_URL, apiKey: 'wrong-key-123' }).listModels(),
    );
    expect(error).toMatchObject({ code: 'authentication', status: 401 });
  });

  it('honours a total timeoutMs', async () => {
    server.use(http.get(`${BASE_URL}/models`, () => new Promise<Response>(() => {})));
    const error = await failure(
      createOpenAICompatible({ name: 'vllm', baseURL: BASE_URL }).listModels({ timeoutMs: 50 }),
    );
    expect(error).toMatchObject({ code: 'timeout', kind: 'total' });
  });
});

describe('createOpenAICompatible settings', () => {
  it('needs a name and a baseURL, and says so', () => {
    expect(() => createOpenAICompatible({ name: '', baseURL: BASE_URL })).toThrow(/settings\.name/);
    expect(() => createOpenAICompatible({ name: 'x' } as never)).toThrow(/settings\.baseURL/);
  });
});
