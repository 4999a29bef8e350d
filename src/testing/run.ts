// Two ways to run the suite: registered on a test runner (vitest, jest, node:test, bun:test, Deno's
// @std/testing/bdd all have this describe/it shape), or run straight through into a report.

import type { Task } from '../tasks/task.ts';
import { show } from './assert.ts';
import { type ConformanceOptions, conformanceSuite } from './suite.ts';

/**
 * The parts of a test runner the suite registers on. Pass your runner's own functions; for
 * node:test, `{ describe, it, beforeAll: before, afterAll: after }`.
 */
export interface TestRunner {
  /** Groups the checks under the suite's name. */
  describe(name: string, body: () => void): unknown;
  /** Registers one check. A check that does not apply calls the test context's `skip(reason)` where the runner passes one (vitest, node:test), else it passes. */
  it(name: string, body: (...args: any[]) => Promise<void>): unknown;
  /** Creates the shared model before the checks, under the runner's hook time limit; without it, the first check creates it. */
  beforeAll?(body: () => Promise<void>): unknown;
  /** Disposes the shared model after the checks. */
  afterAll(body: () => Promise<void>): unknown;
}

/**
 * Registers the conformance suite as a `describe` block named `conformance: <name>`, one test per check.
 *
 * @example
 * import { afterAll, beforeAll, describe, it } from 'vitest';
 * runConformance('acme chat', { task: textGeneration, create, inputs: [{ prompt: 'hi', temperature: 0 }] }, { describe, it, beforeAll, afterAll });
 */
export function runConformance<T extends Task>(
  name: string,
  options: ConformanceOptions<T>,
  runner: TestRunner,
): void {
  runner.describe(`conformance: ${name}`, () => {
    const suite = conformanceSuite(options);
    runner.beforeAll?.(() => suite.start());
    runner.afterAll(() => suite.close());
    for (const check of suite.checks) {
      // A rest parameter keeps the function's length 0: jest and bun:test take a declared first
      // parameter for a `done` callback and would wait for it.
      runner.it(check.name, async (...args: unknown[]) => {
        const result = await check.run();
        const context = args[0] as { skip?: (note?: string) => void } | undefined;
        if (result && typeof context?.skip === 'function') context.skip(result.skipped);
      });
    }
  });
}

/** How one check went: `reason` for a skip, `message` for a failure. */
export type ConformanceResult =
  | { name: string; status: 'passed' }
  | { name: string; status: 'skipped'; reason: string }
  | { name: string; status: 'failed'; message: string; error: unknown };

/**
 * Runs every check in order without a test runner and reports each; the shared model is disposed at
 * the end. Rejects only when the model cannot be created.
 *
 * @example
 * const results = await checkConformance({ task: embedding, create, inputs: [{ texts: ['hi'] }] });
 * const failed = results.filter((result) => result.status === 'failed');
 */
export async function checkConformance<T extends Task>(
  options: ConformanceOptions<T>,
): Promise<ConformanceResult[]> {
  const suite = conformanceSuite(options);
  const results: ConformanceResult[] = [];
  try {
    await suite.start();
    for (const { name, run } of suite.checks) {
      try {
        const outcome = await run();
        results.push(
          outcome ? { name, status: 'skipped', reason: outcome.skipped } : { name, status: 'passed' },
        );
      } catch (error) {
        results.push({
          name,
          status: 'failed',
          message: error instanceof Error ? error.message : show(error),
          error,
        });
      }
    }
  } finally {
    await suite.close();
  }
  return results;
}
