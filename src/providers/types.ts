/**
 * What a provider implements to make `'scheme:id'` strings resolvable. Providers import this file,
 * never the registry, so the registry (which lists the built-in providers) and the providers do
 * not import each other.
 */
import type { Model } from '../model.ts';
import type { TaskName } from '../tasks/index.ts';

/** What a provider's `create()` receives: createModel()'s options as given; each provider checks its own. */
export interface CreateModelOptions {
  /** The task to run; a provider infers it from the model when it can (an ONNX folder's config.json). */
  task?: TaskName;
  [option: string]: unknown;
}

/** Turns the `id` part of `'scheme:id'` into a Model. Packages export one: `@mlkit/onnx` exports `onnxProvider`. */
export interface ModelProvider {
  readonly scheme: string;
  /** Make the Model for the `id` part of the spec, with createModel()'s options. */
  create(id: string, options: CreateModelOptions): Model | Promise<Model>;
}
