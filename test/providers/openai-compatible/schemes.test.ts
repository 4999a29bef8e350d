import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createModel, registeredSchemes } from '../../../src/index.ts';
import { BASE_URL, failure, mockServer, recorder } from './support.ts';

const server = mockServer();

describe('createModel with the built-in OpenAI schemes', () => {
  it('knows openai: and openai-compatible: without registration', () => {
    expect(registeredSchemes()).toEqual(expect.arrayContaining(['openai', 'openai-compatible']));
  });

  it('makes openai:gpt-4o-mini a text-generation model', async () => {
    const model = await createModel('openai:gpt-4o-mini', { apiKey: 'sk-test-0123456789' });
    expect(model.id).toBe('openai:gpt-4o-mini');
    expect(model.task).toBe('text-generation');
  });

  it('makes an openai: model whose id names an embedding model an embedding model', async () => {
    const model = await createModel('openai:text-embedding-3-small', { apiKey: 'sk-test-0123456789' });
    expect(model.task).toBe('embedding');
  });

  it('follows options.task over the model id', async () => {
    const model = await createModel('openai:my-embedder', {
      task: 'embedding',
      apiKey: 'sk-test-0123456789',
    });
    expect(model.task).toBe('embedding');
  });

  it('refuses a task the scheme cannot run', async () => {
    // @ts-expect-error openai: models run text-generation, embedding, speech-to-text or text-to-speech; the runtime check is for untyped callers.
    const error = await failure(createModel('openai:gpt-4o-mini', { task: 'classification' }));
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect(error.message).toMatch(/text-generation, embedding, speech-to-text or text-to-speech/);
  });

  it('asks for options.baseURL on openai-compatible:', async () => {
    const error = await failure(createModel('openai-compatible:llama'));
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect(error.message).toMatch(/needs options\.baseURL/);
  });

  it('runs an openai-compatible: model against its baseURL, with model settings applied', async () => {
    const log = recorder();
    server.use(
      http.post(`${BASE_URL}/chat/completions`, async ({ request }) => {
        await log.record(request);
        return HttpResponse.json({ choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }] });
      }),
    );
    const model = await createModel('openai-compatible:llama', {
      task: 'text-generation',
      baseURL: BASE_URL,
      maxRetries: 0,
      defaults: { temperature: 0 },
    });
    expect(model.id).toBe('openai-compatible:llama');
    expect((await model.run({ prompt: 'Hi' })).text).toBe('ok');
    expect(log.requests[0]!.body).toEqual({
      model: 'llama',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0,
    });
  });
});
