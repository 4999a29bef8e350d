// fallback's circuit breaker, with a fake clock: open after N failures in a row, skip while open,
// one half-open probe after the cool-down, closed again on success.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  defineModel,
  fallback,
  InvalidInputError,
  type ModelEvent,
  OverloadedError,
  ServerError,
  type TextGenerationTask,
  textGeneration,
} from '../../src/index.ts';
import { echoModel } from '../support/echo-model.ts';
import { collect } from './models.ts';

const prompt = { prompt: 'one two' };
const circuit = { failureThreshold: 2, cooldownMs: 30_000 };

/** A text model that fails while `state.down` is true; `state.hold` makes its next call wait. */
function switchable(id = 'test:primary') {
  const state = { down: true, calls: 0, hold: undefined as Promise<void> | undefined };
  const model = defineModel<TextGenerationTask>({
    id,
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: false },
    async run(input) {
      state.calls++;
      if (state.hold) await state.hold;
      if (state.down) throw new ServerError('503', { status: 503 });
      if ('prompt' in input && input.prompt === 'invalid for this model')
        throw new InvalidInputError('too long');
      return { text: `primary: ${'prompt' in input ? input.prompt : ''}`, finishReason: 'stop', usage: {} };
    },
    async *stream() {
      state.calls++;
      if (state.down) throw new ServerError('503', { status: 503 });
      yield { type: 'text-delta', text: 'primary' };
      yield { type: 'finish', finishReason: 'stop', usage: {} };
    },
  });
  return { model, state };
}

/** The circuit events of `events`, as `type member` strings. */
function circuitEvents(events: ModelEvent[]): string[] {
  return events
    .filter((event) => event.type.startsWith('circuit'))
    .map((event) => `${event.type} ${(event as { member: string }).member}`);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('fallback circuit breaker', () => {
  it('opens a member’s circuit after failureThreshold failures in a row and then skips it', async () => {
    const primary = switchable();
    const echo = echoModel();
    const events: ModelEvent[] = [];
    const onEvent = (event: ModelEvent) => events.push(event);
    const model = fallback([primary.model, echo.model], { circuit });
    for (let i = 0; i < 3; i++) expect((await model.run(prompt, { onEvent })).text).toBe('one two');
    expect(primary.state.calls).toBe(2);
    expect(circuitEvents(events)).toEqual([
      'circuit-open models[0] test:primary',
      'circuit-skip models[0] test:primary',
    ]);
    expect(events.find((event) => event.type === 'circuit-open')).toMatchObject({
      failures: 2,
      cooldownMs: 30_000,
    });
    expect(events.find((event) => event.type === 'circuit-skip')).toMatchObject({ retryInMs: 30_000 });
  });

  it('keeps the circuit closed when a success comes between failures', async () => {
    const primary = switchable();
    const model = fallback([primary.model, echoModel().model], { circuit });
    await model.run(prompt);
    primary.state.down = false;
    await model.run(prompt);
    primary.state.down = true;
    await model.run(prompt);
    await model.run(prompt);
    // Failures 1, success, failures 1 and 2: opened only by the last call.
    expect(primary.state.calls).toBe(4);
    await model.run(prompt);
    expect(primary.state.calls).toBe(4);
  });

  it('skips the open member until the cool-down has passed', async () => {
    const primary = switchable();
    const model = fallback([primary.model, echoModel().model], { circuit });
    await model.run(prompt);
    await model.run(prompt);
    vi.advanceTimersByTime(29_999);
    await model.run(prompt);
    expect(primary.state.calls).toBe(2);
  });

  it('probes once after the cool-down (half-open) and closes the circuit on success', async () => {
    const primary = switchable();
    const events: ModelEvent[] = [];
    const onEvent = (event: ModelEvent) => events.push(event);
    const model = fallback([primary.model, echoModel().model], { circuit });
    await model.run(prompt);
    await model.run(prompt);
    vi.advanceTimersByTime(30_000);
    primary.state.down = false;
    expect((await model.run(prompt, { onEvent })).text).toBe('primary: one two');
    expect((await model.run(prompt, { onEvent })).text).toBe('primary: one two');
    expect(circuitEvents(events)).toEqual([
      'circuit-half-open models[0] test:primary',
      'circuit-close models[0] test:primary',
    ]);
  });

  it('opens again for a whole cool-down when the half-open probe fails', async () => {
    const primary = switchable();
    const events: ModelEvent[] = [];
    const onEvent = (event: ModelEvent) => events.push(event);
    const model = fallback([primary.model, echoModel().model], { circuit });
    await model.run(prompt);
    await model.run(prompt);
    vi.advanceTimersByTime(30_000);
    await model.run(prompt, { onEvent });
    expect(primary.state.calls).toBe(3);
    vi.advanceTimersByTime(29_999);
    await model.run(prompt, { onEvent });
    expect(primary.state.calls).toBe(3);
    expect(circuitEvents(events)).toEqual([
      'circuit-half-open models[0] test:primary',
      'circuit-open models[0] test:primary',
      'circuit-skip models[0] test:primary',
    ]);
  });

  it('lets only one probe through while half-open: a concurrent call skips the member', async () => {
    const primary = switchable();
    const echo = echoModel();
    const model = fallback([primary.model, echo.model], { circuit });
    await model.run(prompt);
    await model.run(prompt);
    vi.advanceTimersByTime(30_000);
    primary.state.down = false;
    let release!: () => void;
    primary.state.hold = new Promise((resolve) => (release = resolve));
    const probe = model.run(prompt);
    const concurrent = await model.run(prompt);
    expect(concurrent.text).toBe('one two');
    expect(primary.state.calls).toBe(3);
    release();
    expect((await probe).text).toBe('primary: one two');
  });

  it('fails fast with OverloadedError and retryAfterMs when every member’s circuit is open', async () => {
    const a = switchable('test:a');
    const b = switchable('test:b');
    const model = fallback([a.model, b.model], { circuit });
    for (let i = 0; i < 2; i++) await expect(model.run(prompt)).rejects.toBeInstanceOf(ServerError);
    vi.advanceTimersByTime(10_000);
    const error = await model.run(prompt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect((error as OverloadedError).retryAfterMs).toBe(20_000);
    expect((error as Error).message).toMatch(/every model's circuit is open/);
    expect(a.state.calls + b.state.calls).toBe(4);
  });

  it('does not count a rejected input or the caller’s abort as a member failure', async () => {
    const primary = switchable();
    primary.state.down = false;
    const model = fallback([primary.model, echoModel().model], { circuit });
    for (let i = 0; i < 2; i++) {
      await expect(model.run({ prompt: 'invalid for this model' })).rejects.toBeInstanceOf(InvalidInputError);
    }
    primary.state.down = true;
    const controller = new AbortController();
    controller.abort();
    await expect(model.run(prompt, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
    primary.state.down = false;
    expect((await model.run(prompt)).text).toBe('primary: one two');
  });

  it('counts a stream that fails before its first chunk, and skips the open member for streams too', async () => {
    const primary = switchable();
    const model = fallback([primary.model, echoModel().model], { circuit });
    for (let i = 0; i < 3; i++) {
      const chunks = await collect(model.stream(prompt));
      expect(chunks.at(-1)).toMatchObject({ type: 'finish' });
    }
    expect(primary.state.calls).toBe(2);
  });

  it('refuses a failureThreshold that is not a positive integer, naming the option', () => {
    expect(() =>
      fallback([switchable().model, echoModel().model], { circuit: { failureThreshold: 0, cooldownMs: 1 } }),
    ).toThrow(/circuit\.failureThreshold must be a positive integer \(got 0\)/);
  });
});
