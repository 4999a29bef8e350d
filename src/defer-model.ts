import { UnsupportedError } from './errors.ts';
import type { Capabilities, Model } from './model.ts';
import type { Task } from './tasks/task.ts';

/** What a deferred model says about itself before its code has loaded. */
export interface DeferredModelHead<T extends Task> {
  id: string;
  task: T['name'];
  capabilities: Capabilities;
  /** Whether the model implements `stream()`; when not, `stream()` throws UnsupportedError at once, as defineModel's does. */
  streams: boolean;
}

/**
 * A Model whose implementation (its task's schemas, its requests) loads with its first call, so that
 * an app that makes a provider but never calls one of its kinds does not carry that kind's code.
 * `load` makes the real model (a `defineModel` one): every call is that model's, so input is checked
 * before any request exactly as there; only `stream()`'s input errors arrive at the first `next()`.
 */
export function deferModel<T extends Task>(
  head: DeferredModelHead<T>,
  load: () => Promise<Model<T>>,
): Model<T> {
  let loading: Promise<Model<T>> | undefined;
  let disposed: Promise<void> | undefined;
  const model = (): Promise<Model<T>> => {
    if (disposed) {
      return Promise.reject(
        new UnsupportedError(`Model ${head.id} was disposed; create a new one to run it again`),
      );
    }
    // A load that failed (a chunk that did not arrive) is tried again by the next call.
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  return {
    specificationVersion: 1,
    id: head.id,
    task: head.task,
    capabilities: head.capabilities,
    async run(input, options) {
      return (await model()).run(input, options);
    },
    stream(input, options) {
      if (!head.streams) throw new UnsupportedError(`Task ${head.task} does not stream; call run() instead`);
      return {
        async *[Symbol.asyncIterator]() {
          yield* (await model()).stream(input, options);
        },
      };
    },
    dispose() {
      disposed ??= loading
        ? loading.then(
            (loaded) => loaded.dispose(),
            () => undefined,
          )
        : Promise.resolve();
      return disposed;
    },
  };
}
