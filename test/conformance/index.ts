/**
 * The conformance suite (src/testing, published as `@mlkit/core/testing`) bound to vitest, for the
 * repository's own models. One call registers a `describe` block of checks:
 *
 * @example
 * runConformance('openai-compatible chat', {
 *   task: textGeneration,
 *   create: async () => ({ model, backendCalls: () => server.requests }),
 *   inputs: [{ prompt: 'hi', temperature: 0 }],
 * });
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Task } from '../../src/index.ts';
import { type ConformanceOptions, runConformance as register } from '../../src/testing/index.ts';

export type { ConformanceOptions, ConformanceSubject } from '../../src/testing/index.ts';

export function runConformance<T extends Task>(name: string, options: ConformanceOptions<T>): void {
  register(name, options, { describe, it, beforeAll, afterAll });
}
