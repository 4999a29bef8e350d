/** Server and model health, readiness and metadata over OIP v2: told by the status code alone. */

import { sleep } from '../../abort.ts';
import { isMlkitError, TimeoutError } from '../../errors.ts';
import type { Transport } from '../../http/types.ts';
import { ModelMetadata, ServerMetadata } from '../../protocols/oip-v2/schemas.ts';

/** Options of one health, readiness or metadata request. */
export interface ProbeOptions {
  signal?: AbortSignal;
  /** This request's limit in ms (default: the provider's `timeoutMs`). */
  timeoutMs?: number;
}

/** Options of `waitUntilReady()`. */
export interface WaitUntilReadyOptions extends ProbeOptions {
  /** The model to wait for; the server's readiness when omitted. */
  modelName?: string;
  /** Model version, with `modelName`. */
  version?: string;
  /** Give up after this many ms with a TimeoutError. Default 60_000. */
  timeoutMs?: number;
  /** Ms between two probes. Default 500. */
  intervalMs?: number;
}

/** The path of a model (and version) under `v2/models`. */
export function modelPath(modelName: string, version?: string): string {
  const base = `v2/models/${encodeURIComponent(modelName)}`;
  return version === undefined ? base : `${base}/versions/${encodeURIComponent(version)}`;
}

/** True for a 2xx answer, false for an HTTP error status; network failures are thrown. */
async function probe(transport: Transport, path: string, options: ProbeOptions): Promise<boolean> {
  try {
    await transport.bytes({ method: 'GET', path, maxRetries: 0, ...options });
    return true;
  } catch (error) {
    if (isMlkitError(error) && typeof (error as { status?: unknown }).status === 'number') return false;
    throw error;
  }
}

/** Whether the server is live (`GET v2/health/live`). */
export const isLive = (transport: Transport, options: ProbeOptions = {}) =>
  probe(transport, 'v2/health/live', options);

/** Whether the server, or a model, is ready (`GET v2/health/ready`, `v2/models/{m}/ready`). */
export const isReady = (
  transport: Transport,
  modelName?: string,
  version?: string,
  options: ProbeOptions = {},
) =>
  probe(
    transport,
    modelName === undefined ? 'v2/health/ready' : `${modelPath(modelName, version)}/ready`,
    options,
  );

/** Poll readiness until it is true; connection failures (a server still starting) count as not ready. */
export async function waitUntilReady(
  transport: Transport,
  provider: string,
  options: WaitUntilReadyOptions = {},
): Promise<void> {
  const { modelName, version, timeoutMs = 60_000, intervalMs = 500, signal } = options;
  const started = Date.now();
  for (;;) {
    const left = timeoutMs - (Date.now() - started);
    const ready = await isReady(transport, modelName, version, {
      signal,
      timeoutMs: Math.max(1, left),
    }).catch((error: unknown) => {
      if (isMlkitError(error) && error.code === 'abort') throw error;
      return false;
    });
    if (ready) return;
    if (Date.now() - started + intervalMs > timeoutMs) {
      throw new TimeoutError(
        `${provider}: ${modelName === undefined ? 'the server' : `model "${modelName}"`} was not ready within ${timeoutMs} ms; check that it is up at ${transport.baseURL}, or raise timeoutMs`,
        { provider, kind: 'total', timeoutMs },
      );
    }
    await sleep(intervalMs, signal);
  }
}

/** `GET v2`: the server's name, version and extensions. */
export const serverMetadata = (transport: Transport, options: ProbeOptions = {}) =>
  transport.json({ method: 'GET', path: 'v2', schema: ServerMetadata, ...options });

/** `GET v2/models/{m}[/versions/{v}]`: a model's metadata. */
export const modelMetadata = (
  transport: Transport,
  modelName: string,
  version?: string,
  options: ProbeOptions = {},
) =>
  transport.json({ method: 'GET', path: modelPath(modelName, version), schema: ModelMetadata, ...options });
