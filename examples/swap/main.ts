/**
 * The swap: one code path runs text generation and embeddings on a hosted API or on a self-run
 * ONNX model, and the configuration alone says which.
 *
 *   MLKIT_MODEL=openai:gpt-4o-mini MLKIT_EMBEDDING_MODEL=openai:text-embedding-3-small \
 *     OPENAI_API_KEY=sk-... node examples/swap/main.ts
 *   MLKIT_MODEL=openai-compatible:qwen3 MLKIT_EMBEDDING_MODEL=openai-compatible:nomic-embed-text \
 *     MLKIT_BASE_URL=http://127.0.0.1:8000/v1 node examples/swap/main.ts
 *   MLKIT_MODEL=onnx:./models/tiny-gpt MLKIT_EMBEDDING_MODEL=onnx:./models/tiny-bert node examples/swap/main.ts
 *
 * With MLKIT_MODEL and MLKIT_EMBEDDING_MODEL unset it runs `swap()` twice as a demo: "hosted" is
 * @mlkit/server on 127.0.0.1 serving the repository's fixture models behind an OpenAI-compatible
 * API and an API key; "local" loads the same fixture folders in-process. Each run prints one
 * `RESULT {...}` JSON line.
 */
import { randomBytes } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import { createModel, registerProvider } from '@mlkit/core';
import { loadModel, onnxProvider } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { ensureFixtures, fixturePath } from '../../test/fixtures/paths.ts';

registerProvider(onnxProvider); // makes 'onnx:<folder>' resolvable by createModel()

/** The configuration the app reads: environment variables, or the demo's stand-ins for them. */
interface SwapConfig {
  /** 'scheme:id' of the text-generation model, e.g. 'openai:gpt-4o-mini' or 'onnx:./models/tiny-gpt'. */
  MLKIT_MODEL?: string | undefined;
  /** 'scheme:id' of the embedding model; embeddings are skipped when unset. */
  MLKIT_EMBEDDING_MODEL?: string | undefined;
  /** Server URL for 'openai-compatible:' (and an OpenAI proxy for 'openai:'). */
  MLKIT_BASE_URL?: string | undefined;
  /** API key for the server; 'openai:' also reads OPENAI_API_KEY. */
  MLKIT_API_KEY?: string | undefined;
}

/** What one configuration produced: the same shape whichever backend ran. */
interface SwapResult {
  config: string;
  model: string;
  embeddingModel: string | null;
  run: { text: string; finishReason: string; usage: TokenUsage };
  stream: { text: string; finishReason: string; usage: TokenUsage; deltas: number };
  embeddings: { count: number; dimensions: number; head: number[] } | null;
}

interface TokenUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  totalTokens: number | null;
}

const tokens = (usage: { inputTokens?: number; outputTokens?: number; totalTokens?: number }) => ({
  inputTokens: usage.inputTokens ?? null,
  outputTokens: usage.outputTokens ?? null,
  totalTokens: usage.totalTokens ?? null,
});

/**
 * The application code. Nothing in it knows whether a model is hosted or self-run: the model
 * specs and the provider options come from the configuration.
 */
async function swap(label: string, config: SwapConfig): Promise<SwapResult> {
  const providerOptions = {
    ...(config.MLKIT_BASE_URL ? { baseURL: config.MLKIT_BASE_URL } : {}),
    ...(config.MLKIT_API_KEY ? { apiKey: config.MLKIT_API_KEY } : {}),
  };
  const modelSpec = config.MLKIT_MODEL ?? 'openai:gpt-4o-mini';
  const generator = await createModel(modelSpec, { task: 'text-generation', ...providerOptions });
  const embedder = config.MLKIT_EMBEDDING_MODEL
    ? await createModel(config.MLKIT_EMBEDDING_MODEL, { task: 'embedding', ...providerOptions })
    : undefined;
  try {
    // temperature 0: greedy, so every backend serving the same weights answers the same text.
    const input = {
      messages: [{ role: 'user' as const, content: 'Name three colours of the sky.' }],
      maxTokens: 24,
      temperature: 0,
    };

    const run = await generator.run(input);
    say(
      label,
      `run     text ${JSON.stringify(run.text)}, finishReason ${run.finishReason}, usage ${show(run.usage)}`,
    );

    let streamed = '';
    let deltas = 0;
    let finish: { finishReason: string; usage: TokenUsage } = { finishReason: 'none', usage: tokens({}) };
    for await (const chunk of generator.stream(input)) {
      if (chunk.type === 'text-delta') {
        streamed += chunk.text;
        deltas++;
      } else if (chunk.type === 'finish') {
        finish = { finishReason: chunk.finishReason, usage: tokens(chunk.usage) };
      }
    }
    say(
      label,
      `stream  ${deltas} deltas joined to ${JSON.stringify(streamed)}, finishReason ${finish.finishReason}`,
    );

    let embeddings: SwapResult['embeddings'] = null;
    if (embedder) {
      const output = await embedder.run({ texts: ['a blue sky', 'a red sunset', 'green grass'] });
      embeddings = {
        count: output.embeddings.length,
        dimensions: output.dimensions,
        head: Array.from(output.embeddings[0]!.subarray(0, 4)),
      };
      say(label, `embed   ${embeddings.count} embeddings x ${embeddings.dimensions} dimensions`);
    } else {
      say(label, 'embed   skipped: MLKIT_EMBEDDING_MODEL is not set');
    }

    return {
      config: label,
      model: modelSpec,
      embeddingModel: config.MLKIT_EMBEDDING_MODEL ?? null,
      run: { text: run.text, finishReason: run.finishReason, usage: tokens(run.usage) },
      stream: { text: streamed, ...finish, deltas },
      embeddings,
    };
  } finally {
    await Promise.all([generator.dispose(), embedder?.dispose()]);
  }
}

function say(label: string, line: string): void {
  console.log(`[${label}] ${line}`);
}

function show(usage: { inputTokens?: number; outputTokens?: number }): string {
  return `${usage.inputTokens ?? '?'} in / ${usage.outputTokens ?? '?'} out tokens`;
}

function printConfig(label: string, config: SwapConfig): void {
  say(label, `MLKIT_MODEL=${config.MLKIT_MODEL ?? '(unset: openai:gpt-4o-mini)'}`);
  say(label, `MLKIT_EMBEDDING_MODEL=${config.MLKIT_EMBEDDING_MODEL ?? '(unset)'}`);
  say(label, `MLKIT_BASE_URL=${config.MLKIT_BASE_URL ?? '(unset)'}`);
  say(label, `MLKIT_API_KEY=${config.MLKIT_API_KEY ? '(set, not shown)' : '(unset)'}`);
  say(label, 'code    swap(config): createModel(config.MLKIT_MODEL, ...), run, stream, embed');
}

/** A fixture folder as an 'onnx:' spec, relative to the working directory when it lies under it. */
function onnxSpec(folder: string): string {
  const path = relative(process.cwd(), folder);
  return `onnx:${path.startsWith('..') || isAbsolute(path) ? folder : `./${path}`}`;
}

async function demo(): Promise<void> {
  ensureFixtures();
  const gptFolder = fixturePath('tiny-gpt');
  const bertFolder = fixturePath('tiny-bert');

  // The "hosted" side: the fixture models behind @mlkit/server's OpenAI-compatible API.
  const apiKey = `sk-demo-${randomBytes(16).toString('hex')}`;
  const [gpt, bert] = await Promise.all([
    loadModel(gptFolder, { task: 'text-generation' }),
    loadModel(bertFolder, { task: 'embedding' }),
  ]);
  const server = createServer({ models: { 'tiny-gpt': gpt, 'tiny-bert': bert }, apiKeys: [apiKey] });
  const listening = await listen(server, { port: 0, host: '127.0.0.1' });
  console.log('MLKIT_MODEL and MLKIT_EMBEDDING_MODEL are unset: running swap() under two configurations.');
  console.log(`hosted = @mlkit/server on ${listening.url} (OpenAI-compatible API, API key required)`);
  console.log('local  = the same fixture folders in this process with onnxruntime-node\n');

  const configs: [string, SwapConfig][] = [
    [
      'hosted',
      {
        MLKIT_MODEL: 'openai-compatible:tiny-gpt',
        MLKIT_EMBEDDING_MODEL: 'openai-compatible:tiny-bert',
        MLKIT_BASE_URL: `${listening.url}/v1`,
        MLKIT_API_KEY: apiKey,
      },
    ],
    ['local', { MLKIT_MODEL: onnxSpec(gptFolder), MLKIT_EMBEDDING_MODEL: onnxSpec(bertFolder) }],
  ];
  const results: SwapResult[] = [];
  try {
    for (const [label, config] of configs) {
      printConfig(label, config);
      const result = await swap(label, config);
      results.push(result);
      console.log(`RESULT ${JSON.stringify(result)}\n`);
    }
  } finally {
    await listening.close({ graceMs: 1000 });
  }

  const [hosted, local] = results as [SwapResult, SwapResult];
  const sameText = hosted.run.text === local.run.text && hosted.stream.text === local.stream.text;
  const maxDiff = Math.max(
    ...hosted.embeddings!.head.map((value, i) => Math.abs(value - local.embeddings!.head[i]!)),
  );
  console.log(
    'Both configurations ran the same function, swap(config); only the configuration strings differ.',
  );
  console.log(`greedy text identical: ${sameText ? 'yes' : 'NO'}; embedding max |difference|: ${maxDiff}`);
}

const env = process.env;
try {
  if (env.MLKIT_MODEL || env.MLKIT_EMBEDDING_MODEL) {
    const label = 'env';
    printConfig(label, env);
    console.log(`RESULT ${JSON.stringify(await swap(label, env))}`);
  } else {
    await demo();
  }
} catch (error) {
  console.error(`swap failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exitCode = 1;
}
