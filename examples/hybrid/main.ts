/**
 * The hybrid strategy, with its cost: a hosted model first, a self-run ONNX model as its fallback,
 * sensitive inputs routed to the self-run model only, and a cache in front of both. At the end it
 * prints what each model did and cost, and the monthly volume from which self-running pays off.
 *
 *   node examples/hybrid/main.ts
 *
 * "hosted" is @mlkit/server on 127.0.0.1 serving the repository's tiny-gpt fixture behind an
 * OpenAI-compatible API and an API key: it stands in for a hosted API (point `baseURL` at a real one
 * and nothing else changes). Half-way the server is stopped, as an outage: calls fall back to the
 * local model and the circuit breaker stops trying the hosted one. The last line, `RESULT {...}`, is
 * the same figures as JSON.
 */
import { randomBytes } from 'node:crypto';
import {
  breakEven,
  cache,
  createOpenAICompatible,
  fallback,
  type ModelEvent,
  meter,
  type Pricing,
  route,
  wrap,
} from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { ensureFixtures, fixturePath } from '../../test/fixtures/paths.ts';

/**
 * EXAMPLE prices, written down on 2026-12-01 to make the arithmetic concrete. They are not a quote
 * and not current: put your provider's and your machine's prices here.
 */
const PRICES = {
  date: '2026-12-01',
  /** A small hosted chat model, per 1M tokens. */
  hosted: { usdPerMillionInputTokens: 0.15, usdPerMillionOutputTokens: 0.6 },
  /** A self-run model: a $1.80/hour machine by the second, plus $300 a month of fixed cost (ops, storage). */
  local: { usdPerComputeSecond: 1.8 / 3600, usdPerMonth: 300 },
} satisfies { date: string; hosted: Pricing; local: Pricing };

/** Inputs that must never leave our machines. */
const SENSITIVE = /\b(patient|diagnosis|\d{3}-\d{2}-\d{4})\b/i;

const PROMPTS = [
  'Summarise the weather report',
  'Write a haiku about the sea',
  'Summarise the weather report', // a repeat: answered by the cache
  'Patient 1142 reports chest pain',
  'Translate good morning',
  'Customer 078-05-1120 asks for a refund',
  'Write a haiku about the sea',
];
const AFTER_OUTAGE = [
  'Name three rivers',
  'Plan a short trip',
  'List two colours',
  'Patient notes: diagnosis pending',
];

async function main(): Promise<void> {
  ensureFixtures();
  const folder = fixturePath('tiny-gpt');

  // The stand-in for the hosted API.
  const apiKey = `sk-demo-${randomBytes(16).toString('hex')}`;
  const served = await loadModel(folder, { task: 'text-generation' });
  const server = await listen(createServer({ models: { 'tiny-gpt': served }, apiKeys: [apiKey] }), {
    port: 0,
    host: '127.0.0.1',
  });

  // What the application composes: the models, metered with the example prices.
  const api = createOpenAICompatible({ name: 'hosted', baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
  const hostedPrompts: string[] = [];
  const hosted = meter(
    // wrap records what reaches the hosted API, to show that no sensitive input did.
    wrap(api.textGeneration('tiny-gpt'), {
      transformInput: (input) => {
        hostedPrompts.push(
          'prompt' in input ? input.prompt : input.messages.map((m) => m.content).join('\n'),
        );
        return input;
      },
    }),
    PRICES.hosted,
    { id: 'hosted:tiny-gpt' },
  );
  const local = meter(await loadModel(folder, { task: 'text-generation' }), PRICES.local, {
    id: 'local:tiny-gpt',
  });
  const hybrid = fallback([hosted, local], { circuit: { failureThreshold: 2, cooldownMs: 60_000 } });
  const model = cache(
    route({
      models: { hybrid, local },
      select: (input) => ('prompt' in input && SENSITIVE.test(input.prompt) ? 'local' : 'hybrid'),
    }),
    { ttlMs: 10 * 60_000 },
  );

  // The decisions, as events: which model answered, cache hits, fallbacks, the circuit breaker.
  const DECISIONS = [
    'cache-hit',
    'fallback',
    'circuit-open',
    'circuit-skip',
    'circuit-half-open',
    'circuit-close',
  ];
  const counts: Record<string, number> = {};
  const answeredBy: Record<string, number> = {};
  const ask = async (prompt: string) => {
    let by = 'cache';
    const onEvent = (event: ModelEvent) => {
      if (DECISIONS.includes(event.type)) counts[event.type] = (counts[event.type] ?? 0) + 1;
      if (event.type === 'cost') by = event.modelId;
      if (event.type === 'fallback') console.log(`  fallback ${event.from} -> ${event.to}: ${event.reason}`);
      if (event.type === 'circuit-open')
        console.log(`  circuit open for ${event.member} after ${event.failures} failures`);
      if (event.type === 'circuit-skip') console.log(`  circuit open: skipping ${event.member}`);
    };
    // Greedy (temperature 0), so the cache may answer repeats. The tiny fixture model's text is noise.
    const { text } = await model.run({ prompt, maxTokens: 8, temperature: 0 }, { onEvent });
    answeredBy[by] = (answeredBy[by] ?? 0) + 1;
    console.log(`${by.padEnd(15)} ${JSON.stringify(prompt)} (${text.length} characters)`);
  };

  try {
    console.log(`hosted = @mlkit/server on ${server.url} (OpenAI-compatible), local = tiny-gpt in-process\n`);
    for (const prompt of PROMPTS) await ask(prompt);
    console.log('\nThe hosted API goes down:');
    await server.close({ graceMs: 1000 });
    for (const prompt of AFTER_OUTAGE) await ask(prompt);
  } finally {
    await Promise.all([model.dispose(), hosted.dispose(), local.dispose(), served.dispose()]);
  }

  const rows = [
    { name: 'hosted', ...hosted.totals() },
    { name: 'local', ...local.totals() },
  ];
  console.log(`\nCost per model (example prices of ${PRICES.date}; use your own):`);
  console.log(table(rows));
  const even = breakEven({ hosted, selfRun: local });
  console.log(
    `\nBreak-even: self-running costs less from ${even.callsPerMonth.toLocaleString('en-US')} calls a month ` +
      `($${even.selfRunUsdPerMonth}/month fixed; measured $${even.hostedUsdPerCall.toExponential(3)} per hosted call, ` +
      `$${even.selfRunUsdPerCall.toExponential(3)} per local call).`,
  );
  const sensitiveHosted = hostedPrompts.filter((prompt) => SENSITIVE.test(prompt)).length;
  console.log(`Sensitive prompts sent to the hosted API: ${sensitiveHosted}.`);
  console.log(
    `RESULT ${JSON.stringify({ prices: PRICES, rows, breakEven: even, events: counts, answeredBy, hostedPrompts })}`,
  );
}

/** The cost table, one row per model. */
function table(
  rows: {
    name: string;
    calls: number;
    failedCalls: number;
    inputTokens: number;
    outputTokens: number;
    computeMs: number;
    costUsd: number;
  }[],
): string {
  const header = [
    'model',
    'calls',
    'failed',
    'input tokens',
    'output tokens',
    'compute s',
    'cost USD',
    'USD per call',
  ];
  const lines = rows.map((row) => [
    row.name,
    String(row.calls),
    String(row.failedCalls),
    String(row.inputTokens),
    String(row.outputTokens),
    (row.computeMs / 1000).toFixed(3),
    row.costUsd.toExponential(3),
    row.calls > 0 ? (row.costUsd / row.calls).toExponential(3) : '-',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const format = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  return [format(header), format(widths.map((width) => '-'.repeat(width))), ...lines.map(format)].join('\n');
}

await main();
