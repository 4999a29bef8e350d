// @mlkit/server under a runtime's own listener (Bun.serve, Deno.serve, Node's through
// @mlkit/server/node): health,
// the model list, a chat completion and a streamed one from an echo model, over a real socket, and
// a client that leaves mid-stream stopping the model.
// Nothing may be printed meanwhile: console.warn and console.error are recorded while the checks
// run (Deno's "request.signal aborts on successful responses" warning goes through console.warn).
import assert from 'node:assert/strict';
import { defineModel, textGeneration } from '@mlkit/core';
import type { TestRunner } from '@mlkit/core/testing';
import { createServer, type MlkitServer } from '@mlkit/server';

/** Starts the runtime's listener on 127.0.0.1 for `server`; resolves to its base URL and a stop function. */
export type Listen = (server: MlkitServer) => Promise<{ url: string; stop(): Promise<void> }>;

const echo = defineModel({
  id: 'echo:server',
  task: textGeneration,
  capabilities: { streaming: true, batching: false, local: true, device: 'cpu' },
  async run(input) {
    const text = 'prompt' in input ? input.prompt : String(input.messages.at(-1)?.content);
    return { text: `echo: ${text}`, finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 2 } };
  },
  async *stream(input) {
    const text = 'prompt' in input ? input.prompt : String(input.messages.at(-1)?.content);
    for (const word of ['echo: ', text]) yield { type: 'text-delta', text: word };
    yield { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 2 } };
  },
});

/**
 * Streams "tick " a thousand times, 10 ms apart, unless stopped (its signal fires, or the consumer
 * returns early); `ended` says which, once the stream is over.
 */
function tickerModel() {
  let settle: (how: string) => void = () => {};
  const ended = new Promise<string>((resolve) => {
    settle = resolve;
  });
  const model = defineModel({
    id: 'ticker',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, device: 'cpu' },
    async run() {
      return { text: 'tick', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } };
    },
    async *stream(_input, { signal }) {
      let finished = false;
      try {
        for (let i = 0; i < 1000 && !signal.aborted; i++) {
          yield { type: 'text-delta', text: 'tick ' };
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        finished = !signal.aborted;
        yield { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1000 } };
      } finally {
        settle(finished ? 'ran to its end' : 'stopped early');
      }
    },
  });
  return { model, ended };
}

/** Registers the server checks on `runner`, listening with `listen`. */
export function registerServerChecks(runner: TestRunner, runtime: string, listen: Listen): void {
  runner.describe(`${runtime}: @mlkit/server's fetch handler`, () => {
    const printed: string[] = [];
    const original = { warn: console.warn, error: console.error };
    const ticker = tickerModel();
    let server: MlkitServer;
    let listening: Awaited<ReturnType<Listen>>;
    const post = (body: unknown) =>
      fetch(`${listening.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    runner.beforeAll?.(async () => {
      console.warn = (...args: unknown[]) => void printed.push(`warn: ${args.join(' ')}`);
      console.error = (...args: unknown[]) => void printed.push(`error: ${args.join(' ')}`);
      server = createServer({ models: { echo, ticker: ticker.model } });
      listening = await listen(server);
    });
    runner.afterAll(async () => {
      await server?.close({ drainDelayMs: 0 }); // readiness was probed: no load balancer to wait for
      await listening?.stop();
      Object.assign(console, original);
    });

    runner.it('answers /v2/health/ready with 200 ready', async () => {
      const response = await fetch(`${listening.url}/v2/health/ready`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ready: true });
    });

    runner.it('lists the served model at /v1/models', async () => {
      const response = await fetch(`${listening.url}/v1/models`);
      assert.equal(response.status, 200);
      const list = (await response.json()) as { data: { id: string }[] };
      assert.deepEqual(
        list.data.map((model) => model.id),
        ['echo', 'ticker'],
      );
    });

    runner.it('answers a chat completion from the echo model', async () => {
      const response = await post({ model: 'echo', messages: [{ role: 'user', content: 'hi there' }] });
      assert.equal(response.status, 200);
      const body = (await response.json()) as {
        choices: { message: { content: string }; finish_reason: string }[];
        usage: { total_tokens: number };
      };
      assert.equal(body.choices[0]?.message.content, 'echo: hi there');
      assert.equal(body.choices[0]?.finish_reason, 'stop');
      assert.equal(body.usage.total_tokens, 3);
    });

    runner.it('streams a chat completion as server-sent events ending in [DONE]', async () => {
      const response = await post({
        model: 'echo',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = (await response.text()).split('\n\n').filter((event) => event.startsWith('data: '));
      assert.equal(events.at(-1), 'data: [DONE]');
      const text = events
        .slice(0, -1)
        .map(
          (event) =>
            JSON.parse(event.slice('data: '.length)) as { choices: { delta: { content?: string } }[] },
        )
        .map((chunk) => chunk.choices[0]?.delta.content ?? '')
        .join('');
      assert.equal(text, 'echo: hi');
    });

    runner.it("stops the model's stream when the client leaves in the middle of it", async () => {
      const client = new AbortController();
      const response = await fetch(`${listening.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'ticker', stream: true, messages: [{ role: 'user', content: 'go' }] }),
        signal: client.signal,
      });
      const reader = response.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.match(first, /tick/);
      client.abort();
      await reader.cancel().catch(() => {});
      const gaveUp = new Promise<string>((resolve) =>
        setTimeout(() => resolve('still streaming after 5 s'), 5000),
      );
      assert.equal(await Promise.race([ticker.ended, gaveUp]), 'stopped early');
    });

    runner.it('printed no warning or error while serving', async () => {
      // Deno warns when the connection closes after the answer: give the last one a moment.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(printed, []);
    });
  });
}
