import { beforeAll, describe, expect, it } from 'vitest';
import {
  createModelFromConfig,
  InvalidInputError,
  type Model,
  type ModelEvent,
  registerProvider,
  ServerError,
  type TextGenerationTask,
} from '../../src/index.ts';
import { failingModel } from '../compose/models.ts';
import { echoModel } from '../support/echo-model.ts';

/** Models made by the `cfg:` scheme, with their dispose counts: `cfg:echo`, `cfg:down`. */
const made: { id: string; model: Model; disposed: () => boolean }[] = [];

beforeAll(() => {
  registerProvider({
    scheme: 'cfg',
    create(id) {
      const model: Model<TextGenerationTask> =
        id === 'down' ? failingModel('cfg:down', () => new ServerError('503')).model : echoModel().model;
      let disposed = false;
      const tracked = {
        ...model,
        dispose: async () => {
          disposed = true;
          await model.dispose();
        },
      };
      made.push({ id, model: tracked as Model, disposed: () => disposed });
      return tracked as Model;
    },
  });
});

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<InvalidInputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

const prompt = { prompt: 'private patient notes', temperature: 0 };

describe('createModelFromConfig', () => {
  it('builds a fallback from model specs: the second answers when the first fails', async () => {
    const model = await createModelFromConfig<'text-generation'>({
      fallback: ['cfg:down', { model: 'cfg:echo' }],
    });
    expect(model.task).toBe('text-generation');
    expect((await model.run({ prompt: 'a b' })).text).toBe('a b');
  });

  it('reads the configuration from a JSON string (an environment variable’s value)', async () => {
    const json = JSON.stringify({
      task: 'text-generation',
      fallback: ['cfg:down', 'cfg:echo'],
      cache: { ttlMs: 60000 },
    });
    const model = await createModelFromConfig<'text-generation'>(json);
    expect((await model.run({ prompt: 'x' })).text).toBe('x');
  });

  it('takes a plain model spec string as one model', async () => {
    const model = await createModelFromConfig<'text-generation'>('cfg:echo');
    expect((await model.run({ prompt: 'solo' })).text).toBe('solo');
  });

  it('routes inputs that match a rule to its model and the rest to the default', async () => {
    const events: ModelEvent[] = [];
    const model = await createModelFromConfig<'text-generation'>({
      route: {
        models: {
          local: { model: 'cfg:echo', meter: { pricing: { usdPerRequest: 0 }, name: 'local' } },
          hosted: 'cfg:down',
        },
        when: [{ if: { inputMatches: '\\bpatient\\b', flags: 'i' }, use: 'local' }],
        default: 'hosted',
      },
    });
    expect((await model.run(prompt, { onEvent: (event) => events.push(event) })).text).toBe(
      'private patient notes',
    );
    await expect(model.run({ prompt: 'weather today' })).rejects.toBeInstanceOf(ServerError);
    expect(model.meters.local!.totals().calls).toBe(1);
  });

  it('meters a node: its meter is in `meters` by name, with the cost of each call', async () => {
    const model = await createModelFromConfig<'text-generation'>({
      model: 'cfg:echo',
      meter: { pricing: { usdPerRequest: 0.25 }, name: 'hosted' },
    });
    await model.run({ prompt: 'a' });
    await model.run({ prompt: 'b' });
    expect(model.meters.hosted!.totals()).toMatchObject({ calls: 2, costUsd: 0.5 });
  });

  it('caches outside the meter: a cache hit is not billed', async () => {
    const model = await createModelFromConfig<'text-generation'>({
      model: 'cfg:echo',
      meter: { pricing: { usdPerRequest: 1 } },
      cache: {},
    });
    await model.run(prompt);
    await model.run(prompt);
    expect(model.meters['echo:words']!.totals()).toMatchObject({ calls: 1, costUsd: 1 });
  });

  it('names the path of an unknown scheme', async () => {
    const error = await failure(
      createModelFromConfig({ fallback: ['cfg:echo', { model: 'onx:./models/x' }] }),
    );
    expect(error.message).toMatch(/^config\.fallback\[1\]\.model: unknown scheme "onx"/);
    expect(error.issues[0]!.path).toBe('config.fallback[1].model');
  });

  it('names the path of a misspelt option', async () => {
    const error = await failure(createModelFromConfig({ model: 'cfg:echo', cache: { ttl: 5 } } as never));
    expect(error.message).toMatch(/config\.cache: .*ttl/);
  });

  it('names the path of a wrongly typed value', async () => {
    const error = await failure(
      createModelFromConfig({
        fallback: ['cfg:echo', { model: 'cfg:echo', limit: { concurrency: 'two' } }],
      } as never),
    );
    expect(error.message).toMatch(/config\.fallback\[1\]\.limit\.concurrency: /);
  });

  it('names a route rule that uses a model the route does not have', async () => {
    const error = await failure(
      createModelFromConfig({
        route: {
          models: { local: 'cfg:echo', hosted: 'cfg:echo' },
          when: [{ if: { inputMatches: 'x' }, use: 'lokal' }],
          default: 'hosted',
        },
      }),
    );
    expect(error.message).toBe('config.route.when[0].use: "lokal" is not one of "local", "hosted"');
  });

  it('names a rule whose regular expression does not compile', async () => {
    const error = await failure(
      createModelFromConfig({
        route: { models: { a: 'cfg:echo' }, when: [{ if: { inputMatches: '(' }, use: 'a' }], default: 'a' },
      }),
    );
    expect(error.message).toMatch(
      /^config\.route\.when\[0\]\.if\.inputMatches: not a valid regular expression/,
    );
  });

  it('refuses a node with both a model and a fallback', async () => {
    const error = await failure(createModelFromConfig({ model: 'cfg:echo', fallback: ['cfg:echo'] }));
    expect(error.message).toBe(
      'config: expected one of "model", "fallback" or "route" (got "model" and "fallback")',
    );
  });

  it('refuses a string that is not valid JSON', async () => {
    const error = await failure(createModelFromConfig('{"fallback": [}'));
    expect(error.message).toMatch(/^config is not valid JSON/);
  });

  it('validates the whole configuration before making any model', async () => {
    const before = made.length;
    await failure(
      createModelFromConfig({ fallback: ['cfg:echo', { model: 'cfg:echo', cache: { ttlMs: -1 } }] }),
    );
    expect(made.length).toBe(before);
  });

  it('disposes the models it made when a later one fails, and all of them on dispose()', async () => {
    const before = made.length;
    await failure(createModelFromConfig({ fallback: ['cfg:echo', 'nope:x'] }));
    expect(made.slice(before).map((entry) => entry.disposed())).toEqual([true]);
    const model = await createModelFromConfig({ fallback: ['cfg:down', 'cfg:echo'] });
    await model.dispose();
    expect(made.slice(before + 1).map((entry) => entry.disposed())).toEqual([true, true]);
  });
});
