import { InvalidInputError, ModelLoadError } from './errors.ts';
import type { Model } from './model.ts';
import { builtinProviders } from './providers/index.ts';
import type { OipModelOptions } from './providers/oip/schemes.ts';
import type { OpenAIModelOptions } from './providers/openai-compatible/schemes.ts';
import type { PredictModelOptions } from './providers/predict/schemes.ts';
import type { TFServingModelOptions } from './providers/tf-serving/schemes.ts';
import type { CreateModelOptions, ModelProvider } from './providers/types.ts';
import type { TaskByName, TaskName } from './tasks/index.ts';

export type { CreateModelOptions, ModelProvider } from './providers/types.ts';

/**
 * createModel()'s options, by scheme. A package that adds a scheme adds its options here, e.g.
 * `declare module '@mlkit/core' { interface ProviderOptionsByScheme { onnx: LoadOptions } }`.
 */
export interface ProviderOptionsByScheme {
  openai: OpenAIModelOptions;
  'openai-compatible': OpenAIModelOptions;
  predict: PredictModelOptions;
  oip: OipModelOptions;
  tfserving: TFServingModelOptions;
}

/**
 * createModel()'s options for `Spec`: its scheme's options, or, for a spec known only at run time
 * (a `string` such as `process.env.MLKIT_MODEL`), the options of any known scheme.
 */
export type ModelOptions<Spec extends string> =
  Spec extends `${infer Scheme extends keyof ProviderOptionsByScheme}:${string}`
    ? ProviderOptionsByScheme[Scheme]
    : ProviderOptionsByScheme[keyof ProviderOptionsByScheme];

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

/** Packages that createModel() imports on the first use of their scheme; importing one registers it. */
const packagesByScheme: Record<string, { name: string; provider: string; install: string }> = {
  onnx: {
    name: '@mlkit/onnx',
    provider: 'onnxProvider',
    install:
      '`npm install @mlkit/onnx onnxruntime-node` (in a browser: `npm install @mlkit/onnx onnxruntime-web`)',
  },
};

async function importProvider(scheme: string): Promise<ModelProvider | undefined> {
  const pkg = Object.hasOwn(packagesByScheme, scheme) ? packagesByScheme[scheme] : undefined;
  if (!pkg) return undefined;
  // A variable specifier that bundlers are told to leave alone: core never pulls a package into a
  // bundle; an app that wants it bundled imports it itself.
  const specifier = pkg.name;
  let module: Record<string, unknown>;
  try {
    module = await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
  } catch (cause) {
    throw new ModelLoadError(
      `"${scheme}:" models need ${pkg.name}, which could not be imported: run ${pkg.install}`,
      {
        cause,
      },
    );
  }
  // The import registered the scheme, unless the package found a second installed copy of core.
  const exported = module[pkg.provider] as ModelProvider | undefined;
  if (!providers.has(scheme) && exported?.scheme === scheme) registerProvider(exported);
  return providers.get(scheme);
}

/**
 * One call from a configuration value to a Model: `createModel('openai:gpt-4o-mini')` or
 * `createModel('onnx:./models/smollm')` — switching hosted and self-run is a string change.
 * `onnx:` imports `@mlkit/onnx` on first use; `openai-compatible:` reads `MLKIT_BASE_URL` and
 * `MLKIT_API_KEY` from the environment when `baseURL` / `apiKey` are not given.
 *
 * @example
 * const model = await createModel(process.env.MLKIT_MODEL ?? 'openai:gpt-4o-mini', { task: 'text-generation' });
 */
export async function createModel<Spec extends string, N extends TaskName = TaskName>(
  spec: Spec,
  options?: ModelOptions<Spec> & { task?: N },
): Promise<Model<TaskByName<N>>> {
  const given = (options ?? {}) as CreateModelOptions;
  const colon = spec.indexOf(':');
  if (colon <= 0) {
    throw new InvalidInputError(
      `Model spec "${spec}" must look like "scheme:id" (e.g. "openai:gpt-4o-mini", "onnx:./models/iris"); known schemes: ${registeredSchemes().join(', ') || 'none'}`,
      { issues: [{ path: 'spec', message: 'missing "scheme:" prefix' }] },
    );
  }
  const scheme = spec.slice(0, colon);
  const provider = providers.get(scheme) ?? (await importProvider(scheme));
  if (!provider) {
    throw new InvalidInputError(
      `No provider registered for "${scheme}:"; register one with registerProvider(), known schemes: ${registeredSchemes().join(', ') || 'none'}`,
      { issues: [{ path: 'spec', message: `unknown scheme "${scheme}"` }] },
    );
  }
  const model = await provider.create(spec.slice(colon + 1), given);
  if (given.task && model.task !== given.task) {
    await model.dispose();
    throw new InvalidInputError(`Model "${spec}" runs task "${model.task}", not "${given.task}"`, {
      issues: [{ path: 'options.task', message: `expected "${model.task}"` }],
    });
  }
  return model as Model<TaskByName<N>>;
}
