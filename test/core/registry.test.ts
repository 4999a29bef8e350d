import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createModel, registeredSchemes, registerProvider } from '../../src/index.ts';
import { ensureFixtures, fixturePath } from '../fixtures/paths.ts';
import { echoModel } from '../support/echo-model.ts';
import { startOpenAIServer } from '../support/openai-server.ts';

describe('createModel', () => {
  it('resolves "scheme:id" through a registered provider', async () => {
    registerProvider({ scheme: 'echo', create: () => echoModel().model });
    const model = await createModel('echo:anything', { task: 'text-generation' });
    expect(model.task).toBe('text-generation');
    expect((await model.run({ prompt: 'a b' })).text).toBe('a b');
  });

  it('explains a spec without a scheme', async () => {
    await expect(createModel('gpt-4o-mini')).rejects.toThrow(/must look like "scheme:id"/);
  });

  it('rejects an unknown scheme with InvalidInputError naming the known schemes', async () => {
    await expect(createModel('onnx-missing:x')).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/No provider registered for "onnx-missing:".*openai-compatible/),
    });
  });

  it('refuses a model whose task differs from the requested one', async () => {
    registerProvider({ scheme: 'echo2', create: () => echoModel().model });
    await expect(createModel('echo2:x', { task: 'embedding' })).rejects.toThrow(
      /runs task "text-generation", not "embedding"/,
    );
  });
});

describe('createModel("onnx:...") without registerProvider', () => {
  beforeAll(ensureFixtures);

  it('imports @mlkit/onnx on first use and streams text from the ONNX folder', async () => {
    expect(registeredSchemes()).not.toContain('onnx');
    const model = await createModel(`onnx:${fixturePath('tiny-gpt')}`, { task: 'text-generation' });
    let text = '';
    for await (const chunk of model.stream({
      messages: [{ role: 'user', content: 'Hello!' }],
      maxTokens: 4,
    })) {
      if (chunk.type === 'text-delta') text += chunk.text;
    }
    await model.dispose();
    expect(registeredSchemes()).toContain('onnx');
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('createModel("openai-compatible:...") configured by the environment', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('calls the server at MLKIT_BASE_URL with the key in MLKIT_API_KEY', async () => {
    const server = await startOpenAIServer({ apiKey: 'sk-env-key-0123456789' });
    try {
      vi.stubEnv('MLKIT_BASE_URL', server.url);
      vi.stubEnv('MLKIT_API_KEY', 'sk-env-key-0123456789');
      const model = await createModel('openai-compatible:echo-1', { task: 'text-generation' });
      const { text } = await model.run({ messages: [{ role: 'user', content: 'Hello!' }] });
      expect(text).toMatch(/^Echo: Hello!/);
      expect(server.stats.last?.headers.authorization).toBe('Bearer sk-env-key-0123456789');
    } finally {
      await server.close();
    }
  });

  it('prefers options.baseURL and options.apiKey over MLKIT_BASE_URL and MLKIT_API_KEY', async () => {
    const server = await startOpenAIServer({ apiKey: 'sk-option-key-0123456789' });
    try {
      vi.stubEnv('MLKIT_BASE_URL', 'http://127.0.0.1:9/v1');
      vi.stubEnv('MLKIT_API_KEY', 'sk-env-key-0123456789');
      const model = await createModel('openai-compatible:echo-1', {
        task: 'text-generation',
        baseURL: server.url,
        apiKey: 'sk-option-key-0123456789',
        maxRetries: 0,
      });
      await model.run({ prompt: 'Hi' });
      expect(server.stats.last?.headers.authorization).toBe('Bearer sk-option-key-0123456789');
    } finally {
      await server.close();
    }
  });

  it('asks for options.baseURL or MLKIT_BASE_URL when neither is set', async () => {
    vi.stubEnv('MLKIT_BASE_URL', undefined);
    await expect(createModel('openai-compatible:echo-1')).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/options\.baseURL or the MLKIT_BASE_URL environment variable/),
    });
  });
});
