/** Model listing over GET models. */
import { deadline } from '../../abort.ts';
import type { Transport } from '../../http/types.ts';
import type { ModelEvent } from '../../model.ts';
import { ModelList } from './schemas.ts';

/** One model a server offers. */
export interface ModelInfo {
  /** The name to pass to `textGeneration()` or `embedding()`. */
  id: string;
  /** Unix seconds, where the server says. */
  created?: number;
  ownedBy?: string;
}

/** Options of `provider.listModels()`. */
export interface ListModelsOptions {
  signal?: AbortSignal;
  /** Deadline for the whole call, retries included, in milliseconds. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  maxRetries?: number;
  /** Listener for the request's events. */
  onEvent?: (event: ModelEvent) => void;
}

/** The models the server behind `transport` offers. */
export async function listModels(
  transport: Transport,
  options: ListModelsOptions = {},
): Promise<ModelInfo[]> {
  const limit = deadline(options.signal, options.timeoutMs, 'total');
  try {
    const { signal: _signal, timeoutMs: _timeoutMs, ...rest } = options;
    const list = await transport.json({
      method: 'GET',
      path: 'models',
      schema: ModelList,
      ...rest,
      signal: limit.signal,
    });
    return list.data.map((model) => {
      const info: ModelInfo = { id: model.id };
      if (model.created != null) info.created = model.created;
      if (model.owned_by != null) info.ownedBy = model.owned_by;
      return info;
    });
  } finally {
    limit.clear();
  }
}
