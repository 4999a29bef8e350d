import { loadModel } from '@mlkit/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  createOpenAICompatible,
  type FallbackInfo,
  fallback,
  InvalidInputError,
  isMlkitError,
  type Model,
  type ModelEvent,
  ModelLoadError,
  NetworkError,
  NotFoundError,
  OverloadedError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  type TextGenerationTask,
  TimeoutError,
  UnsupportedError,
} from '../../src/index.ts';
import { ensureFixtures, fixturePath } from '../fixtures/paths.ts';
import { echoModel, histogramEmbedder } from '../support/echo-model.ts';
import { echoReply, type Fault, type OpenAIServer, startOpenAIServer } from '../support/openai-server.ts';
import { collect, failingModel, fixedModel, textOf } from './models.ts';

const prompt = { prompt: 'one two three' };

describe('fallback', () => {
  it('answers with the first model when it succeeds and never calls the next', async () => {
    const first = fixedModel('test:first', 'from first');
    const second = fixedModel('test:second', 'from second');
    const output = await fallback([first.model, second.model]).run(prompt);
    expect(output.text).toBe('from first');
    expect(second.calls()).toBe(0);
  });

  it('falls back on a RateLimitError and tells onFallback and onEvent who failed and who is next', async () => {
    const limited = failingModel('test:limited', () => new RateLimitError('Too many requests'));
    const echo = echoModel();
    const infos: FallbackInfo[] = [];
    const events: ModelEvent[] = [];
    const model = fallback([limited.model, echo.model], { onFallback: (info) => infos.push(info) });
    const output = await model.run(prompt, { onEvent: (event) => events.push(event) });
    expect(output.text).toBe('one two three');
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ from: 'test:limited', to: 'echo:words' });
    expect(infos[0]!.error).toBeInstanceOf(RateLimitError);
    expect(events.filter((event) => event.type === 'fallback')).toEqual([
      {
        type: 'fallback',
        modelId: model.id,
        from: 'test:limited',
        to: 'echo:words',
        reason: 'Too many requests',
      },
    ]);
  });

  const backendDown: [string, () => Error][] = [
    ['RateLimitError', () => new RateLimitError('429')],
    ['OverloadedError', () => new OverloadedError('queue full')],
    ['ServerError', () => new ServerError('503', { status: 503 })],
    ['NetworkError', () => new NetworkError('connection reset')],
    ['TimeoutError of one attempt', () => new TimeoutError('slow', { kind: 'attempt', timeoutMs: 10 })],
    ['ResponseValidationError', () => new ResponseValidationError('malformed body')],
    ['AuthenticationError', () => new AuthenticationError('key rejected')],
    ['NotFoundError', () => new NotFoundError('no such model')],
    ['ModelLoadError', () => new ModelLoadError('missing file')],
    ['UnsupportedError', () => new UnsupportedError('no such option')],
    ['a plain Error', () => new Error('bug in a custom model')],
  ];
  it.each(backendDown)('falls back by default on %s', async (_name, makeError) => {
    const broken = failingModel('test:broken', makeError);
    const echo = echoModel();
    const output = await fallback([broken.model, echo.model]).run(prompt);
    expect(output.text).toBe('one two three');
    expect(broken.calls()).toBe(1);
    expect(echo.calls()).toBe(1);
  });

  it('rejects invalid input with InvalidInputError before any model is called', async () => {
    const first = failingModel('test:first', () => new ServerError('down'));
    const echo = echoModel();
    const model = fallback([first.model, echo.model]);
    const error = await model.run({ prompt: 42 } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/input\.prompt/);
    expect(first.calls() + echo.calls()).toBe(0);
  });

  it('does not fall back when a model rejects the input as invalid (the next would too)', async () => {
    const picky = failingModel(
      'test:picky',
      () => new InvalidInputError('input.prompt is too long for this model'),
    );
    const echo = echoModel();
    const onFallback = (info: FallbackInfo) => expect.unreachable(`fell back to ${info.to}`);
    const error = await fallback([picky.model, echo.model], { onFallback })
      .run(prompt)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(echo.calls()).toBe(0);
  });

  it('throws the last error with its own class, and every error in `errors`, when all models fail', async () => {
    const down = failingModel('test:down', () => new ServerError('503', { status: 503 }));
    const limited = failingModel('test:limited', () => new RateLimitError('429', { retryAfterMs: 1000 }));
    const error = await fallback([down.model, limited.model])
      .run(prompt)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(1000);
    const errors = (error as { errors: unknown[] }).errors;
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(ServerError);
    expect(errors[1]).toBe(error);
  });

  it('tries three models in order, reporting each step', async () => {
    const a = failingModel('test:a', () => new ServerError('a down'));
    const b = failingModel('test:b', () => new NetworkError('b unreachable'));
    const c = fixedModel('test:c', 'from c');
    const steps: string[] = [];
    const model = fallback([a.model, b.model, c.model], {
      onFallback: ({ from, to }) => steps.push(`${from} -> ${to}`),
    });
    expect((await model.run(prompt)).text).toBe('from c');
    expect(steps).toEqual(['test:a -> test:b', 'test:b -> test:c']);
  });

  it('falls back only on the errors a custom shouldFallback accepts', async () => {
    const shouldFallback = (error: unknown) => error instanceof RateLimitError;
    const down = failingModel('test:down', () => new ServerError('503'));
    const echo = echoModel();
    const error = await fallback([down.model, echo.model], { shouldFallback })
      .run(prompt)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(echo.calls()).toBe(0);
  });

  it('stops the chain with AbortError when the caller aborts during a model', async () => {
    const slow = failingModel('test:slow', () => new ServerError('never reached'), { delayMs: 60_000 });
    const echo = echoModel();
    const controller = new AbortController();
    const pending = fallback([slow.model, echo.model]).run(prompt, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(slow.calls()).toBe(1);
    expect(echo.calls()).toBe(0);
  });

  it('does not try the next model once the caller has aborted, whatever the failed model threw', async () => {
    const controller = new AbortController();
    // The model sees the abort only after it has failed with a fallback-worthy error.
    const broken = failingModel('test:broken', () => {
      controller.abort();
      return new ServerError('503');
    });
    const echo = echoModel();
    const error = await fallback([broken.model, echo.model])
      .run(prompt, { signal: controller.signal })
      .catch((e: unknown) => e);
    // defineModel keeps a typed error that a model threw while the abort arrived.
    expect(error).toBeInstanceOf(ServerError);
    expect(echo.calls()).toBe(0);
  });

  it('applies timeoutMs to the whole chain, not to each model', async () => {
    // Each model alone fits in 120 ms; both one after the other do not.
    const slowFailure = failingModel('test:slow-failure', () => new ServerError('503'), { delayMs: 80 });
    const slowAnswer = fixedModel('test:slow-answer', 'too late', { delayMs: 80 });
    const error = await fallback([slowFailure.model, slowAnswer.model])
      .run(prompt, { timeoutMs: 120 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).kind).toBe('total');
    expect(slowAnswer.calls()).toBe(1);
    expect(slowAnswer.signals[0]!.aborted).toBe(true);
  });

  describe('stream()', () => {
    it('falls back when a model fails before its first chunk', async () => {
      const down = failingModel('test:down', () => new ServerError('503'));
      const echo = echoModel();
      const infos: FallbackInfo[] = [];
      const chunks = await collect(
        fallback([down.model, echo.model], { onFallback: (info) => infos.push(info) }).stream(prompt),
      );
      expect(textOf(chunks)).toBe('one two three');
      expect(chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
      expect(infos.map(({ from, to }) => ({ from, to }))).toEqual([{ from: 'test:down', to: 'echo:words' }]);
    });

    it('throws an error after the first chunk from the iterator, without falling back or repeating text', async () => {
      const cut = failingModel('test:cut', () => new NetworkError('connection reset mid-stream'), {
        chunksBeforeError: ['one ', 'two '],
      });
      const echo = echoModel();
      const seen: string[] = [];
      const error = await (async () => {
        for await (const chunk of fallback([cut.model, echo.model]).stream(prompt)) {
          if (chunk.type === 'text-delta') seen.push(chunk.text);
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect(seen).toEqual(['one ', 'two ']);
      expect(echo.calls()).toBe(0);
    });

    it('closes the model stream when the caller stops after the first chunk', async () => {
      const endless = failingModel('test:partial', () => new NetworkError('not reached'), {
        chunksBeforeError: ['one ', 'two ', 'three '],
      });
      for await (const _chunk of fallback([endless.model]).stream(prompt)) break;
      expect(endless.closedStreams()).toBe(1);
    });

    it('throws the last error with every error in `errors` when every model fails before its first chunk', async () => {
      const a = failingModel('test:a', () => new ServerError('a down'));
      const b = failingModel('test:b', () => new RateLimitError('b limited'));
      const error = await collect(fallback([a.model, b.model]).stream(prompt)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitError);
      expect((error as { errors: unknown[] }).errors).toHaveLength(2);
    });

    it('stops the chain with AbortError when the caller aborts before the first chunk', async () => {
      const slow = failingModel('test:slow', () => new ServerError('never reached'), { delayMs: 60_000 });
      const echo = echoModel();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 10);
      const error = await collect(
        fallback([slow.model, echo.model]).stream(prompt, { signal: controller.signal }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect(echo.calls()).toBe(0);
    });
  });

  describe('construction', () => {
    it('refuses models of different tasks, naming the one that differs', () => {
      const echo = echoModel();
      const embedder = histogramEmbedder();
      expect(() => fallback([echo.model, embedder.model as unknown as Model<TextGenerationTask>])).toThrow(
        /models\[1\] \(test:histogram\) does "embedding" but models\[0\] \(echo:words\) does "text-generation"/,
      );
    });

    it('refuses an empty list and things that are not models with InvalidInputError', () => {
      expect(() => fallback([])).toThrow(InvalidInputError);
      expect(() => fallback([{} as Model])).toThrow(/models\[0\] is not an mlkit Model/);
    });

    it('streams only when every model streams; local and device are the first model’s', () => {
      const hosted = failingModel('test:hosted', () => new ServerError('x'), {
        capabilities: { streaming: false, local: false },
      });
      const local = fixedModel('test:local', 'x', { capabilities: { device: 'cuda' } });
      expect(fallback([hosted.model, local.model]).capabilities).toMatchObject({
        streaming: false,
        local: false,
      });
      expect(fallback([local.model, echoModel().model]).capabilities).toMatchObject({
        streaming: true,
        local: true,
        device: 'cuda',
      });
    });

    it('dispose() disposes the composite only: its models stay usable', async () => {
      const echo = echoModel();
      const model = fallback([echo.model]);
      await model.dispose();
      const error = await model.run(prompt).catch((e: unknown) => e);
      expect(isMlkitError(error) && error.code).toBe('unsupported');
      expect((await echo.model.run(prompt)).text).toBe('one two three');
    });
  });
});

describe('fallback from a hosted model answering 503 to a local ONNX model', () => {
  let server: OpenAIServer;
  let hosted: Model<TextGenerationTask>;
  let local: Model<TextGenerationTask>;
  const input = {
    messages: [{ role: 'user' as const, content: 'Hello there' }],
    maxTokens: 8,
    temperature: 0,
  };
  let fault: Fault = { kind: 'status', status: 503 };

  beforeAll(async () => {
    ensureFixtures();
    server = await startOpenAIServer({ fault: () => fault });
    const provider = createOpenAICompatible({
      name: 'hosted',
      baseURL: server.url,
      maxRetries: 1,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    hosted = provider.textGeneration('echo-1');
    local = await loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' });
  });
  afterAll(async () => {
    await local?.dispose();
    await server?.close();
  });

  it('run() answers with the local model’s own answer after the hosted one fails', async () => {
    const expected = await local.run(input);
    const infos: FallbackInfo[] = [];
    const before = server.stats.requests;
    const output = await fallback([hosted, local], { onFallback: (info) => infos.push(info) }).run(input);
    expect(output.text).toBe(expected.text);
    expect(output.finishReason).toBe(expected.finishReason);
    // The transport retried once, then the composite fell back.
    expect(server.stats.requests - before).toBe(2);
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ from: 'hosted:echo-1', to: local.id });
    expect(infos[0]!.error).toBeInstanceOf(ServerError);
    expect((infos[0]!.error as ServerError).status).toBe(503);
  });

  it('stream() streams the local model’s answer after the hosted one fails', async () => {
    const expected = textOf(await collect(local.stream(input)));
    const infos: FallbackInfo[] = [];
    const chunks = await collect(
      fallback([hosted, local], { onFallback: (info) => infos.push(info) }).stream(input),
    );
    expect(textOf(chunks)).toBe(expected);
    expect(textOf(chunks)).toBe((await local.run(input)).text);
    expect(chunks.at(-1)?.type).toBe('finish');
    expect(infos.map(({ from, to }) => ({ from, to }))).toEqual([{ from: 'hosted:echo-1', to: local.id }]);
    expect(infos[0]!.error).toBeInstanceOf(ServerError);
  });

  it('stream() does not fall back when the hosted stream breaks after its first chunk', async () => {
    fault = { kind: 'reset-mid-stream', afterChunks: 1 };
    const infos: FallbackInfo[] = [];
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of fallback([hosted, local], { onFallback: (info) => infos.push(info) }).stream(
        input,
      )) {
        if (chunk.type === 'text-delta') seen.push(chunk.text);
      }
    })().catch((e: unknown) => e);
    fault = { kind: 'status', status: 503 };
    expect(isMlkitError(error) && error.code).toBe('network');
    expect(seen.join('')).toBe(echoReply('Hello there').pieces[0]);
    expect(infos).toEqual([]);
  });
});
