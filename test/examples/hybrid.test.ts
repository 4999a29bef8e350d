// examples/hybrid/main.ts as a user runs it: hosted first, local fallback, sensitive inputs local, a
// cache, and the cost table with the break-even volume.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures } from '../fixtures/paths.ts';
import { type ExampleRun, runExample } from './run-example.ts';

interface Row {
  name: string;
  calls: number;
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  computeMs: number;
  costUsd: number;
}
interface Prices {
  usdPerMillionInputTokens?: number;
  usdPerMillionOutputTokens?: number;
  usdPerComputeSecond?: number;
  usdPerMonth?: number;
}
interface HybridResult {
  prices: { date: string; hosted: Prices; local: Prices };
  rows: Row[];
  breakEven: {
    hostedUsdPerCall: number;
    selfRunUsdPerCall: number;
    selfRunUsdPerMonth: number;
    callsPerMonth: number;
  };
  events: Record<string, number>;
  answeredBy: Record<string, number>;
  hostedPrompts: string[];
}

const SENSITIVE = /\b(patient|diagnosis|\d{3}-\d{2}-\d{4})\b/i;

/** The cost of `row` under `prices`, computed here by hand. */
function expectedCost(row: Row, prices: Prices): number {
  return (
    (row.inputTokens / 1e6) * (prices.usdPerMillionInputTokens ?? 0) +
    (row.outputTokens / 1e6) * (prices.usdPerMillionOutputTokens ?? 0) +
    (row.computeMs / 1000) * (prices.usdPerComputeSecond ?? 0)
  );
}

describe('examples/hybrid: hosted first, local fallback, sensitive inputs local, a cache, and the cost', () => {
  let example: ExampleRun;
  let result: HybridResult;
  let hosted: Row;
  let local: Row;

  beforeAll(async () => {
    ensureFixtures();
    example = await runExample('hybrid');
    const line = example.stdout.split('\n').find((each) => each.startsWith('RESULT '));
    result = JSON.parse(line?.slice('RESULT '.length) ?? 'null') as HybridResult;
    [hosted, local] = (result?.rows ?? []) as [Row, Row];
  }, 90_000);

  it('exits 0 and prints the cost table with one row per model', () => {
    expect(example.code, example.stderr).toBe(0);
    expect(example.stdout).toMatch(
      /model\s+calls\s+failed\s+input tokens\s+output tokens\s+compute s\s+cost USD\s+USD per call/,
    );
    expect(example.stdout).toMatch(/^hosted\s+3\s+1\s+\d+\s+\d+\s/m);
    expect(example.stdout).toMatch(/^local\s+\d+\s+0\s+\d+\s+\d+\s/m);
    expect(result.rows.map((row) => row.name)).toEqual(['hosted', 'local']);
  });

  it('prices each model from its measured usage: tokens for the hosted one, compute-seconds for the local one', () => {
    expect(hosted.inputTokens).toBeGreaterThan(0);
    expect(local.computeMs).toBeGreaterThan(0);
    expect(hosted.costUsd).toBeCloseTo(expectedCost(hosted, result.prices.hosted), 15);
    expect(local.costUsd).toBeCloseTo(expectedCost(local, result.prices.local), 15);
  });

  it('prints the break-even volume computed from the average cost per call', () => {
    const hostedPerCall = hosted.costUsd / hosted.calls;
    const localPerCall = local.costUsd / local.calls;
    const fixed = result.prices.local.usdPerMonth!;
    expect(result.breakEven.callsPerMonth).toBe(Math.floor(fixed / (hostedPerCall - localPerCall)) + 1);
    expect(example.stdout).toContain(
      `self-running costs less from ${result.breakEven.callsPerMonth.toLocaleString('en-US')} calls a month`,
    );
  });

  it('says its prices are dated examples', () => {
    expect(result.prices.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(example.stdout).toContain(`example prices of ${result.prices.date}; use your own`);
  });

  it('never sends a sensitive prompt to the hosted API', () => {
    expect(result.hostedPrompts.length).toBeGreaterThan(0);
    expect(result.hostedPrompts.filter((prompt) => SENSITIVE.test(prompt))).toEqual([]);
    expect(example.stdout).toContain('Sensitive prompts sent to the hosted API: 0.');
  });

  it('answers repeated prompts from the cache', () => {
    expect(result.events['cache-hit']).toBe(2);
    expect(result.answeredBy.cache).toBe(2);
  });

  it('falls back to the local model when the hosted one is down, then opens its circuit', () => {
    // The hosted server's connections fail (not its answers), so its circuit opens at the first failure,
    // not after failureThreshold: one fallback, then every later call skips it.
    expect(result.events.fallback).toBe(1);
    expect(result.events['circuit-open']).toBe(1);
    expect(result.events['circuit-skip']).toBeGreaterThanOrEqual(2);
    expect(hosted.failedCalls).toBe(1);
  });
});
