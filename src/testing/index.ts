/**
 * @mlkit/core/testing — the conformance suite every Model runs, hosted or local, for providers
 * written outside this repository too. Runner-agnostic: register it on vitest, jest, node:test,
 * bun:test or Deno's bdd with {@link runConformance}, or run it straight with {@link checkConformance}.
 *
 * @module @mlkit/core/testing
 */
export { ConformanceError } from './assert.ts';
export { type ConformanceResult, checkConformance, runConformance, type TestRunner } from './run.ts';
export {
  type ConformanceCheck,
  type ConformanceOptions,
  type ConformanceSkip,
  type ConformanceSubject,
  type ConformanceSuite,
  conformanceSuite,
} from './suite.ts';
