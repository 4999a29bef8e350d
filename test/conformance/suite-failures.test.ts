// The suite fails models that break the contract, and says what to fix: each broken variant of the
// echo model below fails exactly the check for the rule it breaks.
import { describe, expect, it } from 'vitest';
import { InvalidInputError, type Model, type TextGenerationTask, textGeneration } from '../../src/index.ts';
import {
  ConformanceError,
  type ConformanceResult,
  checkConformance,
  conformanceSuite,
  runConformance,
} from '../../src/testing/index.ts';
import { echoModel } from '../support/echo-model.ts';

type Echo = Model<TextGenerationTask>;

/** The model with some members replaced (methods stay bound to the original). */
function variant(model: Echo, overrides: Partial<Record<keyof Echo, unknown>>): Echo {
  return new Proxy(model, {
    get(target, key) {
      if (key in overrides) return overrides[key as keyof Echo];
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The results of the suite on the echo model changed by `change`. */
function check(change: (echo: Echo, count: () => void) => Echo): Promise<ConformanceResult[]> {
  return checkConformance({
    task: textGeneration,
    create: async () => {
      const { model, calls } = echoModel();
      let extra = 0;
      return { model: change(model, () => extra++), backendCalls: () => calls() + extra };
    },
    inputs: [{ prompt: 'one two three', temperature: 0 }],
  });
}

function failures(results: ConformanceResult[]): { name: string; message: string }[] {
  return results.flatMap((result) =>
    result.status === 'failed' ? [{ name: result.name, message: result.message }] : [],
  );
}

describe('the conformance suite on models that break the contract', () => {
  it('passes the unchanged echo model', async () => {
    expect(failures(await check((echo) => echo))).toEqual([]);
  });

  it('fails a specification version other than 1', async () => {
    const failed = failures(await check((echo) => variant(echo, { specificationVersion: 2 })));
    expect(failed).toEqual([
      {
        name: 'declares specification version 1, an id, its task and capabilities',
        message: 'model.specificationVersion must be 1 (got 2)',
      },
    ]);
  });

  it('fails a model that reaches its backend for an invalid input', async () => {
    const failed = failures(
      await check((echo, count) =>
        variant(echo, {
          run: (input: unknown) => {
            count();
            return echo.run(input as never);
          },
        }),
      ),
    );
    expect(failed.map((failure) => failure.name)).toContain(
      'rejects invalid input with InvalidInputError without reaching the backend',
    );
    expect(failed.find((failure) => failure.name.startsWith('rejects invalid'))?.message).toBe(
      'backend calls made for invalid inputs must be 0 (got 5)',
    );
  });

  it('fails a stream whose text differs from run()', async () => {
    const failed = failures(
      await check((echo) =>
        variant(echo, {
          async *stream() {
            yield { type: 'text-delta', text: 'other' };
            yield { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 3 } };
          },
        }),
      ),
    );
    expect(failed).toEqual([
      {
        name: 'streams chunks that match the chunk schema and concatenate to run()',
        message: 'the streamed text (run() answered it) must be "one two three" (got "other")',
      },
    ]);
  });

  it('fails an error that is not an mlkit error for an invalid input', async () => {
    const failed = failures(
      await check((echo) =>
        variant(echo, {
          run: (input: { prompt?: unknown }) =>
            typeof input.prompt === 'string' ? echo.run(input as never) : Promise.reject(new Error('bad')),
        }),
      ),
    );
    expect(failed[0]?.message).toBe(
      'run({}) must fail with an mlkit error (from @mlkit/core), got Error: bad',
    );
  });

  it('fails a model that answers after dispose()', async () => {
    const failed = failures(await check((echo) => variant(echo, { dispose: async () => {} })));
    expect(failed).toEqual([
      {
        name: 'disposes idempotently and refuses calls afterwards',
        message: 'run() after dispose() must fail with an mlkit error coded unsupported, but it succeeded',
      },
    ]);
  });

  it('fails a model that claims tools and calls none', async () => {
    const failed = failures(
      await check((echo) => variant(echo, { capabilities: { ...echo.capabilities, tools: true } })),
    );
    expect(failed.map((failure) => failure.name)).toEqual([
      'calls a required tool with arguments that match its parameters (capabilities.tools)',
      'streams tool-call chunks in order before the finish, the same calls as run() (capabilities.tools)',
    ]);
    expect(failed[0]?.message).toBe(
      'the finishReason of a call that must call a tool must be "tool-calls" (got "stop")',
    );
  });

  it('fails a model that says images: false and reads an image part', async () => {
    const failed = failures(
      await check((echo) => variant(echo, { capabilities: { ...echo.capabilities, images: false } })),
    );
    expect(failed).toEqual([
      {
        name: 'refuses an image part before reaching the backend (capabilities.images false)',
        message:
          'run() with an image part must fail with an mlkit error coded unsupported or invalid_input, but it succeeded',
      },
    ]);
  });

  it('reports checks that do not apply as skipped, with the capability that decides', async () => {
    const results = await check((echo) => echo);
    expect(results.find((result) => result.name.startsWith('refuses an image part'))).toEqual({
      name: 'refuses an image part before reaching the backend (capabilities.images false)',
      status: 'skipped',
      reason: 'capabilities.images is not false',
    });
  });

  it('throws a ConformanceError from a failing check', async () => {
    const suite = conformanceSuite({
      task: textGeneration,
      create: async () => ({ model: variant(echoModel().model, { id: 'no-scheme' }), backendCalls: () => 0 }),
      inputs: [{ prompt: 'x' }],
    });
    const error = await suite.checks[0]!.run().catch((e: unknown) => e);
    await suite.close();
    expect(error).toBeInstanceOf(ConformanceError);
    expect((error as Error).message).toBe(
      'model.id must read "scheme:name", e.g. "acme:small" (got "no-scheme")',
    );
  });

  it('rejects when the model cannot be created', async () => {
    const created = checkConformance({
      task: textGeneration,
      create: async () => {
        throw new InvalidInputError('no such model');
      },
      inputs: [{ prompt: 'x' }],
    });
    await expect(created).rejects.toThrow('no such model');
  });
});

describe('runConformance on any runner', () => {
  /** A runner that records what the suite registers, then runs it like jest would. */
  function recordingRunner() {
    const tests: { name: string; body: (...args: unknown[]) => Promise<void> }[] = [];
    const hooks: { before: (() => Promise<void>)[]; after: (() => Promise<void>)[] } = {
      before: [],
      after: [],
    };
    const groups: string[] = [];
    return {
      tests,
      hooks,
      groups,
      runner: {
        describe: (name: string, body: () => void) => {
          groups.push(name);
          body();
        },
        it: (name: string, body: (...args: unknown[]) => Promise<void>) => tests.push({ name, body }),
        beforeAll: (body: () => Promise<void>) => hooks.before.push(body),
        afterAll: (body: () => Promise<void>) => hooks.after.push(body),
      },
    };
  }

  const options = {
    task: textGeneration,
    create: async () => {
      const { model, calls } = echoModel();
      return { model, backendCalls: calls };
    },
    inputs: [{ prompt: 'one two', temperature: 0 }],
  };

  it('registers one describe named after the model, one test per check and both hooks', () => {
    const { runner, tests, hooks, groups } = recordingRunner();
    runConformance('echo', options, runner);
    expect(groups).toEqual(['conformance: echo']);
    expect(tests.map((test) => test.name)).toEqual(conformanceSuite(options).checks.map((each) => each.name));
    expect([hooks.before.length, hooks.after.length]).toEqual([1, 1]);
  });

  it('gives each test a function of length 0 (jest and bun:test read a declared parameter as done)', () => {
    const { runner, tests } = recordingRunner();
    runConformance('echo', options, runner);
    expect(tests.map((test) => test.body.length)).toEqual(tests.map(() => 0));
  });

  it("calls the test context's skip with the reason when a check does not apply", async () => {
    const { runner, tests, hooks } = recordingRunner();
    runConformance('echo', options, runner);
    await hooks.before[0]!();
    const skipped: string[] = [];
    const tools = tests.find((test) => test.name.startsWith('calls a required tool'))!;
    await tools.body({ skip: (note: string) => skipped.push(note) });
    await tests[0]!.body({ skip: (note: string) => skipped.push(note) });
    await hooks.after[0]!();
    expect(skipped).toEqual(['capabilities.tools is not true']);
  });
});
