import type { CallContext } from '../../define-model.ts';
import type { StreamRequestOptions } from '../../http/types.ts';

/**
 * The per-call options a Model forwards to the transport. Only the options the caller set are
 * passed, so the transport's own defaults apply to the rest. Events go through `context.emit`,
 * which reaches both the model's and the call's listeners.
 */
export function callOptions(context: CallContext): Omit<StreamRequestOptions, 'path'> {
  const { options } = context;
  const out: Omit<StreamRequestOptions, 'path'> = { signal: context.signal, onEvent: context.emit };
  if (options.headers !== undefined) out.headers = options.headers;
  if (options.maxRetries !== undefined) out.maxRetries = options.maxRetries;
  if (options.firstChunkTimeoutMs !== undefined) out.firstChunkTimeoutMs = options.firstChunkTimeoutMs;
  if (options.idleTimeoutMs !== undefined) out.idleTimeoutMs = options.idleTimeoutMs;
  return out;
}
