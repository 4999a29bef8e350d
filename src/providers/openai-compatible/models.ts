/** Model listing over GET models. */
import { deadline } from '../../abort.ts';
import type { Transport } from '../../http/types.ts';
import type { ModelEvent } from '../../model.ts';
import { type ModelInfo, toModelInfos } from '../../protocols/openai/models.ts';
import { ModelList } from '../../protocols/openai/schemas.ts';

export type { ModelInfo } from '../../protocols/openai/models.ts';

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
    return toModelInfos(list);
  } finally {
    limit.clear();
  }
}
