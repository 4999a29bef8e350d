import { describe, expect, it } from 'vitest';
import { createModel, registerProvider } from '../../src/index.ts';
import { echoModel } from '../support/echo-model.ts';

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

  it('says which package to install for an unknown onnx scheme', async () => {
    await expect(createModel('onnx-missing:x')).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('refuses a model whose task differs from the requested one', async () => {
    registerProvider({ scheme: 'echo2', create: () => echoModel().model });
    await expect(createModel('echo2:x', { task: 'embedding' })).rejects.toThrow(
      /runs task "text-generation", not "embedding"/,
    );
  });
});
