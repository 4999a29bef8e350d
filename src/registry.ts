import { InvalidInputError } from './errors.ts';
import type { Model } from './model.ts';
import { builtinProviders } from './providers/index.ts';
import type { TaskByName, TaskName } from './tasks/index.ts';

/** Options every provider understands; providers accept more (baseURL, apiKey, device, ...). */
export interface CreateModelOptions {
  /** The task to run; a provider infers it from the model when it can (an ONNX folder's config.json). */
  task?: TaskName;
  [option: string]: unknown;
}

/** Turns the `id` part of `'scheme:id'` into a Model. Packages export one: `@mlkit/onnx` exports `onnxProvider`. */
export interface ModelProvider {
  readonly scheme: string;
  create(id: string, options: CreateModelOptions): Model | Promise<Model>;
}

// Built-in schemes first; registerProvider() may replace them.
const providers = new Map<string, ModelProvider>(
  builtinProviders.map((provider) => [provider.scheme, provider]),
);

/** Make `'scheme:id'` strings of this provider resolvable by `createModel()`. */
export function registerProvider(provider: ModelProvider): void {
  providers.set(provider.scheme, provider);
}

/** The schemes `createModel()` resolves now. */
export function registeredSchemes(): string[] {
  return [...providers.keys()];
}

/**
 * One call from a configuration value to a Model: `createModel('openai:gpt-4o-mini')` or
 * `createModel('onnx:./models/smollm')` — switching hosted and self-run is a string change.
 *
 * @example
 * const model = await createModel(process.env.MLKIT_MODEL ?? 'openai:gpt-4o-mini', { task: 'text-generation' });
 */
export async function createModel<N extends TaskName = TaskName>(
  spec: string,
  options: CreateModelOptions & { task?: N } = {},
): Promise<Model<TaskByName<N>>> {
  const colon = spec.indexOf(':');
  if (colon <= 0) {
    throw new InvalidInputError(
      `Model spec "${spec}" must look like "scheme:id" (e.g. "openai:gpt-4o-mini", "onnx:./models/iris"); known schemes: ${registeredSchemes().join(', ') || 'none'}`,
      { issues: [{ path: 'spec', message: 'missing "scheme:" prefix' }] },
    );
  }
  const scheme = spec.slice(0, colon);
  const provider = providers.get(scheme);
  if (!provider) {
    const hint = scheme === 'onnx' ? ' — install @mlkit/onnx and call registerProvider(onnxProvider)' : '';
    throw new InvalidInputError(
      `No provider registered for "${scheme}:"${hint}; known schemes: ${registeredSchemes().join(', ') || 'none'}`,
      { issues: [{ path: 'spec', message: `unknown scheme "${scheme}"` }] },
    );
  }
  const model = await provider.create(spec.slice(colon + 1), options);
  if (options.task && model.task !== options.task) {
    await model.dispose();
    throw new InvalidInputError(`Model "${spec}" runs task "${model.task}", not "${options.task}"`, {
      issues: [{ path: 'options.task', message: `expected "${model.task}"` }],
    });
  }
  return model as Model<TaskByName<N>>;
}
