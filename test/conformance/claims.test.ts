// What the README says of @mlkit/core/testing's runConformance on runners that cannot skip from
// inside a test (bun:test; jest): a check that does not apply passes there, and one that breaks still fails.
import { describe, expect, it } from 'vitest';
import { textGeneration } from '../../src/index.ts';
import { runConformance } from '../../src/testing/index.ts';
import { echoModel } from '../support/echo-model.ts';

/** A runner that records the tests it is given and passes them no test context, as bun:test does. */
function runnerWithoutSkip() {
  const tests = new Map<string, (...args: unknown[]) => Promise<void>>();
  const before: (() => Promise<void>)[] = [];
  const after: (() => Promise<void>)[] = [];
  return {
    tests,
    before,
    after,
    runner: {
      describe: (_name: string, body: () => void) => body(),
      it: (name: string, body: (...args: unknown[]) => Promise<void>) => void tests.set(name, body),
      beforeAll: (body: () => Promise<void>) => void before.push(body),
      afterAll: (body: () => Promise<void>) => void after.push(body),
    },
  };
}

/** The echo model (no tools) registered on a runner without skip; `broken` makes its stream fail. */
function registered(broken = false) {
  const recorded = runnerWithoutSkip();
  runConformance(
    'echo',
    {
      task: textGeneration,
      create: async () => {
        const { model, calls } = echoModel();
        if (broken) {
          model.stream = async function* () {
            yield { type: 'text-delta', text: 'not what run() says' } as const;
          } as never;
        }
        return { model, backendCalls: calls };
      },
      inputs: [{ prompt: 'one two', temperature: 0 }],
    },
    recorded.runner,
  );
  return recorded;
}

describe('runConformance on a runner without skip', () => {
  it('a check that does not apply (tools, when capabilities.tools is not true) passes', async () => {
    const { tests, before, after } = registered();
    const [name, body] = [...tests].find(([name]) => name.startsWith('calls a required tool'))!;
    await before[0]!();
    try {
      await expect(body(), name).resolves.toBeUndefined();
    } finally {
      await after[0]!();
    }
  });

  it('a check the model breaks still fails there', async () => {
    const { tests, before, after } = registered(true);
    const [, body] = [...tests].find(([name]) => name.startsWith('streams'))!;
    await before[0]!();
    try {
      await expect(body()).rejects.toThrow();
    } finally {
      await after[0]!();
    }
  });
});
