// The call's timeoutMs holds whether or not the caller also passes a signal of its own.
import { describe, expect, it } from 'vitest';
import { deadline } from '../../src/abort.ts';
import { TimeoutError } from '../../src/errors.ts';
import { echoModel } from '../support/echo-model.ts';

const neverAborted = () => new AbortController().signal;

describe('timeoutMs together with a signal', () => {
  it('fails a slow run() with TimeoutError(total) when the caller also passes a signal that never fires', async () => {
    const { model } = echoModel({ delayMs: 1_000 });
    const error = await model
      .run({ prompt: 'slow' }, { signal: neverAborted(), timeoutMs: 30 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'total', timeoutMs: 30 });
  });

  it('fails a slow stream() with TimeoutError(total) when the caller also passes a signal that never fires', async () => {
    const { model } = echoModel({ delayMs: 1_000 });
    const chunks: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of model.stream(
        { prompt: 'slow words' },
        { signal: neverAborted(), timeoutMs: 30 },
      ))
        chunks.push(chunk);
    })().catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: 'total', timeoutMs: 30 });
    expect(chunks).toEqual([]);
  });

  it('deadline() with a parent signal still fires its TimeoutError when the parent never does', async () => {
    const limit = deadline(neverAborted(), 20, 'total');
    // Waits for the abort, or 1 s at most, so that a deadline that never fires fails the assertion below.
    await new Promise((resolve) => {
      limit.signal.addEventListener('abort', resolve, { once: true });
      setTimeout(resolve, 1_000);
    });
    expect(limit.signal.aborted).toBe(true);
    expect(limit.signal.reason).toBeInstanceOf(TimeoutError);
    expect(limit.signal.reason).toMatchObject({ kind: 'total', timeoutMs: 20 });
  });
});
