// @mlkit/core in an edge runtime: bundled for the browser/worker conditions with no Node built-ins,
// then evaluated in a bare V8 context that has only web-standard globals (no `process`, no `require`,
// no `Buffer`), where it must import and run a hosted model through a `fetch` the runtime provides.
import { join } from 'node:path';
import vm from 'node:vm';
import { build, type Rolldown } from 'vite';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

async function bundleCore(): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    root,
    resolve: { conditions: ['worker', 'browser', 'import', 'default'] },
    build: {
      write: false,
      minify: false,
      // A classic script (IIFE) so that a bare V8 context can run it without the VM modules flag.
      lib: { entry: join(root, 'src', 'index.ts'), formats: ['iife'], name: 'mlkit', fileName: 'core' },
      rollupOptions: {
        // Any Node built-in left in the bundle is an error here, not a silent external.
        external: (id) => {
          if (id.startsWith('node:')) throw new Error(`@mlkit/core imports ${id}, which edge runtimes lack`);
          return false;
        },
      },
    },
  })) as Rolldown.RolldownOutput[];
  const chunks = output.flatMap((o) => o.output).filter((c) => c.type === 'chunk');
  expect(chunks).toHaveLength(1);
  return (chunks[0] as Rolldown.OutputChunk).code;
}

describe('@mlkit/core on an edge runtime', () => {
  it('bundles without Node built-ins and runs a hosted model where only web globals exist', async () => {
    const code = await bundleCore();

    const requests: { url: string; auth: string | null; body: unknown }[] = [];
    const edgeFetch = async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      requests.push({
        url: request.url,
        auth: request.headers.get('authorization'),
        body: await request.json(),
      });
      return Response.json({
        id: 'x',
        object: 'chat.completion',
        created: 0,
        model: 'm',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi from the edge' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      });
    };
    // Web-standard globals only: what Cloudflare Workers, Vercel Edge and Deno Deploy provide.
    const globals = {
      fetch: edgeFetch,
      Request,
      Response,
      Headers,
      URL,
      URLSearchParams,
      AbortController,
      AbortSignal,
      TextEncoder,
      TextDecoder,
      ReadableStream,
      WritableStream,
      TransformStream,
      TextDecoderStream,
      Event,
      EventTarget,
      DOMException,
      structuredClone,
      queueMicrotask,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      crypto: globalThis.crypto,
      performance: { now: () => performance.now() },
      console,
      atob,
      btoa,
    };
    const context = vm.createContext(globals);
    expect(vm.runInContext('typeof process + typeof require + typeof Buffer', context)).toBe(
      'undefinedundefinedundefined',
    );
    vm.runInContext(code, context);
    const core = (context as { mlkit?: typeof import('../../src/index.ts') }).mlkit!;
    expect(typeof core.createOpenAICompatible).toBe('function');

    const model = core
      .createOpenAICompatible({
        name: 'edge',
        baseURL: 'https://llm.example/v1',
        apiKey: 'sk-edge-test-key-0123456789',
      })
      .textGeneration('m');
    const output = await model.run({ prompt: 'hello', maxTokens: 5 });
    expect(output).toMatchObject({
      text: 'hi from the edge',
      finishReason: 'stop',
      usage: { inputTokens: 3 },
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      url: 'https://llm.example/v1/chat/completions',
      auth: 'Bearer sk-edge-test-key-0123456789',
    });
    // Input is still validated before any request in the edge build.
    await expect(model.run({ prompt: 'x', maxTokens: -1 })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(requests).toHaveLength(1);
  });
});
