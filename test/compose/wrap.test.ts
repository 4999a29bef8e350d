import { describe, expect, it } from 'vitest';
import { InvalidInputError, wrap } from '../../src/index.ts';
import { echoModel } from '../support/echo-model.ts';
import { collect, textOf } from './models.ts';

describe('wrap', () => {
  it('gives the model the transformed input', async () => {
    const echo = echoModel();
    const model = wrap(echo.model, {
      transformInput: (input) => ('prompt' in input ? { ...input, prompt: `${input.prompt} please` } : input),
    });
    expect((await model.run({ prompt: 'hello' })).text).toBe('hello please');
  });

  it('gives the caller the transformed output, with the caller’s input at hand', async () => {
    const model = wrap(echoModel().model, {
      transformOutput: (output, input) => ({
        ...output,
        text: `${'prompt' in input ? input.prompt : ''}=${output.text}`,
      }),
    });
    expect((await model.run({ prompt: 'a b' })).text).toBe('a b=a b');
  });

  it('transforms each stream chunk', async () => {
    const model = wrap(echoModel().model, {
      transformChunk: (chunk) =>
        chunk.type === 'text-delta' ? { ...chunk, text: chunk.text.toUpperCase() } : chunk,
    });
    const chunks = await collect(model.stream({ prompt: 'one two' }));
    expect(textOf(chunks)).toBe('ONE TWO');
    expect(chunks.at(-1)).toMatchObject({ type: 'finish' });
  });

  it('lets the model reject a transformed input that its task refuses', async () => {
    const echo = echoModel();
    const model = wrap(echo.model, { transformInput: () => ({ prompt: 42 }) as never });
    await expect(model.run({ prompt: 'x' })).rejects.toBeInstanceOf(InvalidInputError);
    expect(echo.calls()).toBe(0);
  });

  it('passes calls through unchanged without hooks, under its own id', async () => {
    const model = wrap(echoModel().model, {});
    expect(model.id).toBe('wrap:echo:words');
    expect((await model.run({ prompt: 'same' })).text).toBe('same');
  });
});
