import { type CallContext, defineModel } from '../define-model.ts';
import { InvalidInputError } from '../errors.ts';
import type { Model } from '../model.ts';
import type { InputOf, ParsedInputOf, Task } from '../tasks/task.ts';
import { commonTask, type Member, memberOptions, sharedCapabilities } from './members.ts';

/** Options of `route()`: the models by name and how to choose one per call. */
export interface RouteOptions<T extends Task, Name extends string> {
  /** The models to choose from, by name. All must do the same task. */
  models: Record<Name, Model<T>>;
  /**
   * Choose a model by name for one call. Gets the validated input (defaults applied) and the call's
   * `signal` and options; may be async (e.g. ask a classifier), and should honour `signal` when it is.
   */
  select: (
    input: ParsedInputOf<T>,
    call: Pick<CallContext, 'signal' | 'options'>,
  ) => NoInfer<Name> | Promise<NoInfer<Name>>;
  /** Id of the composite model. Default `route:<name>,<name>,...`. */
  id?: string;
  /** The task's definition; needed only for a custom task (built-in tasks are found by name). */
  task?: T;
}

/**
 * A model that sends each call to one of `models`, chosen by `select`: short prompts to a local model,
 * long ones to a hosted one; one tenant to one deployment. The input is validated before `select`
 * runs; a name that is not in `models` fails with InvalidInputError before any model is called.
 *
 * Capabilities: `streaming`/`batching`/`local` only if every model has them; `device` when all share it.
 * The composite does not own its models: `dispose()` disposes only the composite.
 *
 * @example
 * const model = route({
 *   models: { local: await loadModel('./models/smollm'), hosted: openai.textGeneration('gpt-4o-mini') },
 *   select: (input) => ('prompt' in input && input.prompt.length < 200 ? 'local' : 'hosted'),
 * });
 */
export function route<T extends Task, Name extends string>(options: RouteOptions<T, Name>): Model<T> {
  const { models, select } = options;
  const names = Object.keys(models ?? {}) as Name[];
  const list = names.map((name) => models[name]);
  const task = commonTask<T>(
    'route',
    names.map((name): Member<T> => [`models.${name}`, models[name]]),
    options.task,
  );
  if (typeof select !== 'function') {
    throw new InvalidInputError('route needs a select(input) function that returns a model name', {
      issues: [{ path: 'select', message: 'expected a function' }],
    });
  }
  const devices = new Set(list.map((model) => model.capabilities.device));
  const device = devices.size === 1 ? [...devices][0] : undefined;

  async function choose(input: ParsedInputOf<T>, context: CallContext): Promise<Model<T>> {
    const name = await select(input, context);
    if (typeof name === 'string' && Object.hasOwn(models, name)) return models[name];
    const got = typeof name === 'string' ? JSON.stringify(name) : typeof name;
    const expected = names.map((known) => JSON.stringify(known)).join('|');
    throw new InvalidInputError(`route: select returned ${got}, which is not one of ${expected}`, {
      issues: [{ path: 'select', message: `expected one of ${expected} (got ${got})` }],
    });
  }

  return defineModel<T>({
    id: options.id ?? `route:${names.join(',')}`,
    task,
    capabilities: {
      ...sharedCapabilities(list),
      local: list.every((model) => model.capabilities.local),
      ...(device === undefined ? {} : { device }),
    },

    async run(input, context) {
      const model = await choose(input, context);
      return model.run(input as InputOf<T>, memberOptions(context));
    },

    ...(task.chunk && {
      async *stream(input, context) {
        const model = await choose(input, context);
        yield* model.stream(input as InputOf<T>, memberOptions(context));
      },
    }),
  });
}
