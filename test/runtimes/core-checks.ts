// @mlkit/core's conformance suite as every runtime job runs it: the BUILT packages (dist/, through
// node_modules/@mlkit/*, as an app imports them), registered on whichever runner the job binds
// (node:test, bun:test, Deno.test). Two models: the OpenAI-compatible client against the loopback
// server (a real socket, node:http as each runtime provides it) and a defineModel echo model.
import assert from 'node:assert/strict';
import { createOpenAICompatible, defineModel, embedding, textGeneration } from '@mlkit/core';
import { runConformance, type TestRunner } from '@mlkit/core/testing';
import { startOpenAIServer } from '../support/openai-server.ts';

/** A deterministic text generation model written with defineModel: echoes the last turn word by word. */
function echoModel() {
  let calls = 0;
  const words = (input: { prompt?: string; messages?: { content: unknown }[]; maxTokens?: number }) => {
    const last = input.messages?.at(-1)?.content;
    const text = input.prompt ?? (typeof last === 'string' ? last : JSON.stringify(last));
    return text.split(/(?<= )/).slice(0, input.maxTokens ?? Number.POSITIVE_INFINITY);
  };
  const usage = (n: number) => ({ inputTokens: n, outputTokens: n });
  const model = defineModel({
    id: 'echo:words',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, device: 'cpu' },
    async run(input) {
      calls++;
      const out = words(input);
      return { text: out.join(''), finishReason: 'stop', usage: usage(out.length) };
    },
    async *stream(input) {
      calls++;
      const out = words(input);
      for (const word of out) yield { type: 'text-delta', text: word };
      yield { type: 'finish', finishReason: 'stop', usage: usage(out.length) };
    },
  });
  return { model, backendCalls: () => calls };
}

async function loopback() {
  const server = await startOpenAIServer({ chunkDelayMs: 1 });
  const provider = createOpenAICompatible({ name: 'loopback', baseURL: server.url, maxRetries: 0 });
  return { provider, backendCalls: () => server.stats.requests, cleanup: () => server.close() };
}

/** Registers the suite for the three core models on `runner`. */
export function registerCoreConformance(runner: TestRunner, runtime: string): void {
  runner.describe(`${runtime}: the packages under test`, () => {
    runner.it(
      'resolves @mlkit/core, /testing, @mlkit/server and @mlkit/onnx to their built dist files',
      async () => {
        for (const name of ['@mlkit/core', '@mlkit/core/testing', '@mlkit/server', '@mlkit/onnx']) {
          const resolved = import.meta.resolve(name);
          assert.match(
            resolved,
            /\/dist\/(testing\/)?[\w.-]+\.js$/,
            `${name} resolved to ${resolved}, not dist/`,
          );
        }
      },
    );
  });
  runConformance(
    `${runtime}: openai-compatible text generation over a loopback server`,
    {
      task: textGeneration,
      create: async () => {
        const { provider, backendCalls, cleanup } = await loopback();
        return { model: provider.textGeneration('echo-1'), backendCalls, cleanup };
      },
      inputs: [
        { prompt: 'one two three', temperature: 0 },
        { messages: [{ role: 'user', content: 'ä ö ü 🚀' }], maxTokens: 3, seed: 1 },
      ],
    },
    runner,
  );
  runConformance(
    `${runtime}: openai-compatible embedding over a loopback server`,
    {
      task: embedding,
      create: async () => {
        const { provider, backendCalls, cleanup } = await loopback();
        return { model: provider.embedding('embed-1', { maxBatchSize: 2 }), backendCalls, cleanup };
      },
      inputs: [{ texts: ['hello', 'world', 'again'] }],
    },
    runner,
  );
  runConformance(
    `${runtime}: a defineModel echo model`,
    {
      task: textGeneration,
      create: async () => echoModel(),
      inputs: [{ prompt: 'hello there world', temperature: 0 }],
    },
    runner,
  );
}
