// fallback's circuit breaker and a member that is down: a refused or dropped connection opens the
// member's circuit after its first failure, so later calls skip it until the cool-down's probe.
// Real sockets on 127.0.0.1; a fake clock (Date only) for the cool-down; counts, no wall-clock asserts.
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Circuit } from '../../src/compose/circuit.ts';
import {
  createOpenAICompatible,
  fallback,
  type Model,
  type ModelEvent,
  type TextGenerationTask,
} from '../../src/index.ts';
import { type LoopbackServer, loopback } from '../http/support.ts';
import { deadPort } from '../support/dead-port.ts';
import { echoModel } from '../support/echo-model.ts';
import { collect } from './models.ts';

const COOLDOWN_MS = 1_000;
const prompt = { prompt: 'one two' };

let server: LoopbackServer | undefined;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/** An OpenAI-compatible model at `baseURL` (2 retries, 1 ms backoff) that counts its attempts. */
function remote(baseURL: string) {
  const counter = { attempts: 0 };
  const model = createOpenAICompatible({
    name: 'replica',
    baseURL,
    retry: { baseDelayMs: 1, random: () => 0 },
    fetch: (input, init) => {
      counter.attempts++;
      return globalThis.fetch(input, init);
    },
  }).textGeneration('m');
  return { model, counter };
}

/** A chat completion answering `text`. */
function answer(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'c1',
      object: 'chat.completion',
      created: 0,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );
}

function withCircuit(models: Model<TextGenerationTask>[], failureThreshold = 3) {
  const events: ModelEvent[] = [];
  const model = fallback(models, { circuit: { failureThreshold, cooldownMs: COOLDOWN_MS } });
  const run = () => model.run(prompt, { onEvent: (event) => events.push(event) });
  return { model, run, events };
}

const ofType = (events: ModelEvent[], type: string) => events.filter((event) => event.type === type);

describe('a member whose connection is refused', () => {
  it('is tried with its retries on the first call, then not touched by the next 10 calls', async () => {
    const dead = remote(`http://127.0.0.1:${await deadPort()}/v1`);
    const { run, events } = withCircuit([dead.model, echoModel().model]);
    expect((await run()).text).toBe('one two');
    expect(dead.counter.attempts).toBe(3);
    for (let call = 0; call < 10; call++) expect((await run()).text).toBe('one two');
    expect(dead.counter.attempts).toBe(3);
    expect(ofType(events, 'circuit-open')).toHaveLength(1);
    expect(ofType(events, 'circuit-open')[0]).toMatchObject({ failures: 1, cooldownMs: COOLDOWN_MS });
    expect(ofType(events, 'circuit-skip')).toHaveLength(10);
  });

  it('is probed by one call after the cool-down, and skipped again when the probe is refused', async () => {
    const dead = remote(`http://127.0.0.1:${await deadPort()}/v1`);
    const { run, events } = withCircuit([dead.model, echoModel().model]);
    await run();
    await run();
    expect(dead.counter.attempts).toBe(3);
    vi.setSystemTime(Date.now() + COOLDOWN_MS);
    await run();
    expect(ofType(events, 'circuit-half-open')).toHaveLength(1);
    expect(dead.counter.attempts).toBe(6);
    await run();
    await run();
    expect(dead.counter.attempts).toBe(6);
    expect(ofType(events, 'circuit-open')).toHaveLength(2);
  });

  it('is skipped by later streams after one stream found it down', async () => {
    const dead = remote(`http://127.0.0.1:${await deadPort()}/v1`);
    const { model } = withCircuit([dead.model, echoModel().model]);
    await collect(model.stream(prompt));
    expect(dead.counter.attempts).toBe(3);
    for (let call = 0; call < 10; call++) await collect(model.stream(prompt));
    expect(dead.counter.attempts).toBe(3);
  });

  it('is still tried on every call without a circuit', async () => {
    const dead = remote(`http://127.0.0.1:${await deadPort()}/v1`);
    const model = fallback([dead.model, echoModel().model]);
    await model.run(prompt);
    await model.run(prompt);
    expect(dead.counter.attempts).toBe(6);
  });
});

describe('a member that drops connections before answering', () => {
  it('is skipped after its first failed call, and answers again once the probe gets through', async () => {
    const state = { down: true };
    server = await loopback((req, res) => {
      if (state.down) return req.socket.destroy();
      answer(res, 'replica');
    });
    const replica = remote(server.url);
    const { run, events } = withCircuit([replica.model, echoModel().model]);
    expect((await run()).text).toBe('one two');
    expect(server.requests).toBe(3);
    for (let call = 0; call < 10; call++) await run();
    expect(server.requests).toBe(3);
    state.down = false;
    vi.setSystemTime(Date.now() + COOLDOWN_MS);
    expect((await run()).text).toBe('replica');
    expect(server.requests).toBe(4);
    expect(ofType(events, 'circuit-close')).toHaveLength(1);
    expect((await run()).text).toBe('replica');
    expect(server.requests).toBe(5);
  });
});

describe('a member that answers with errors', () => {
  it('keeps failureThreshold: a 503 opens its circuit only after 3 failed calls', async () => {
    server = await loopback((_, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":"busy"}');
    });
    const busy = remote(server.url);
    const { run } = withCircuit([busy.model, echoModel().model]);
    await run();
    await run();
    expect(server.requests).toBe(6);
    await run();
    expect(server.requests).toBe(9);
    await run();
    expect(server.requests).toBe(9);
  });
});

describe('Circuit', () => {
  it('opens on the first connection failure whatever failureThreshold says', () => {
    const events: ModelEvent[] = [];
    const circuit = new Circuit(
      { failureThreshold: 5, cooldownMs: COOLDOWN_MS },
      'fallback:x',
      'models[0] x',
    );
    circuit.failed((event) => events.push(event), 'connection');
    expect(circuit.allow((event) => events.push(event))).toBe(false);
    expect(events.map((event) => event.type)).toEqual(['circuit-open', 'circuit-skip']);
  });

  it('stays closed after one other failure below failureThreshold', () => {
    const circuit = new Circuit(
      { failureThreshold: 5, cooldownMs: COOLDOWN_MS },
      'fallback:x',
      'models[0] x',
    );
    circuit.failed(() => {}, 'other');
    expect(circuit.allow(() => {})).toBe(true);
  });
});
