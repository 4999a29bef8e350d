import type * as z from 'zod/mini';
import { InvalidInputError, isMlkitError, ResponseValidationError } from '../errors.ts';
import type { ModelEvent } from '../model.ts';
import { authHeaders } from './auth.ts';
import { readLimitedBytes, readLimitedText } from './body.ts';
import {
  errorFromResponse,
  parseErrorBody,
  parseJsonResponse,
  readErrorBody,
  toTransportError,
} from './errors.ts';
import { defaultRetryPolicy, type RetryPolicy, withResponseHeaders, withRetry } from './retry.ts';
import { attemptTimers } from './timeouts.ts';
import { responseTooLarge } from './too-large.ts';
import type {
  BytesResponse,
  RequestOptions,
  SseEvent,
  StreamRequestOptions,
  Transport,
  TransportOptions,
} from './types.ts';

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Query parameters whose values are secrets (Gemini's `key`, SAS tokens) and stay out of events. */
const SECRET_QUERY = /key|token|secret|sig|password|auth/i;

function displayUrl(url: string): string {
  if (!url.includes('?')) return url;
  const parsed = new URL(url);
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_QUERY.test(name)) parsed.searchParams.set(name, '[REDACTED]');
  }
  return parsed.toString();
}

/** The header that carries a logical call's id, sent on every attempt (`@mlkit/server` logs and returns it). */
const REQUEST_ID_HEADER = 'x-request-id';

/** A UUID; pages served over plain http have no `crypto.randomUUID`, so a random string there. */
function randomId(): string {
  return (
    globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  );
}

function newIdempotencyKey(): string {
  return `mlkit-${randomId()}`;
}

/**
 * The HTTP transport every remote provider uses: the platform's (or the caller's) fetch, p-retry for
 * the one retry policy, attempt timers, typed errors, SSE streams and events.
 *
 * @example
 * const http = createTransport({ provider: 'openai', baseURL: 'https://api.openai.com/v1', apiKeyEnvVar: 'OPENAI_API_KEY' });
 * const models = await http.json({ method: 'GET', path: 'models', schema: ModelList });
 */
export function createTransport(options: TransportOptions): Transport {
  const { provider } = options;
  let baseURL: URL;
  try {
    baseURL = new URL(options.baseURL);
  } catch (cause) {
    throw new InvalidInputError(
      `baseURL must be an absolute URL like https://api.openai.com/v1 (got "${options.baseURL}")`,
      {
        provider,
        cause,
      },
    );
  }
  const root = baseURL.href.replace(/\/+$/, '');
  const auth = authHeaders(options);
  const policy: RetryPolicy = {
    ...defaultRetryPolicy,
    ...Object.fromEntries(Object.entries(options.retry ?? {}).filter(([, value]) => value !== undefined)),
    maxRetries: options.maxRetries ?? defaultRetryPolicy.maxRetries,
  };
  const modelId = options.modelId ?? provider;

  /** A byte limit from the options, checked before any request. */
  function sizeLimit(name: 'maxResponseBytes' | 'maxEventBytes', value: number): number {
    if (!Number.isInteger(value) || value <= 0) {
      throw new InvalidInputError(`${name} must be a whole number of bytes > 0 (got ${value})`, { provider });
    }
    return value;
  }

  /** State of one logical call, shared by its attempts. */
  function begin(request: RequestOptions, accept: string) {
    const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
    const maxRetries = request.maxRetries ?? policy.maxRetries;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new InvalidInputError(`maxRetries must be a whole number >= 0 (got ${maxRetries})`, { provider });
    }
    const maxResponseBytes = sizeLimit(
      'maxResponseBytes',
      request.maxResponseBytes ?? options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    );
    const url = `${root}/${request.path.replace(/^\/+/, '')}`;
    const headers = new Headers({ accept });
    const raw = request.body instanceof Uint8Array;
    if (request.body !== undefined && !raw) headers.set('content-type', 'application/json');
    // Minted once, so that a retried POST is not billed twice.
    if (method === 'POST') headers.set('idempotency-key', request.idempotencyKey ?? newIdempotencyKey());
    // Later sources win, whatever the case of their names: defaults, transport headers, auth, the call's own.
    for (const source of [options.headers, auth, request.headers]) {
      for (const [name, value] of Object.entries(source ?? {})) headers.set(name, value);
    }
    // One id per logical call, the same on every retry, so that each attempt can be found in the
    // logs of the replica that served it; an id the caller set (RunOptions.headers) is theirs to keep.
    if (!headers.has(REQUEST_ID_HEADER)) headers.set(REQUEST_ID_HEADER, randomId());
    const requestId = headers.get(REQUEST_ID_HEADER)!;
    const listeners = [options.onEvent, request.onEvent].filter((listener) => listener !== undefined);
    const emit = (event: ModelEvent) => {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A failing listener must not fail the request it observes.
        }
      }
    };
    return {
      method,
      url,
      headers,
      requestId,
      // Serialised once for every attempt; a body that cannot be serialised fails before any request.
      body:
        request.body === undefined || raw
          ? (request.body as Uint8Array<ArrayBuffer> | undefined)
          : JSON.stringify(request.body),
      // The caller's own signal: nothing adds a listener to it (attempts follow it with AbortSignal.any,
      // backoff waits listen on a signal of withRetry's own).
      signal: request.signal,
      timeoutMs: request.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes,
      policy: { ...policy, maxRetries },
      emit,
      onRetry: ({ attempt, delayMs, error }: { attempt: number; delayMs: number; error: unknown }) => {
        const { message, status } = error as { message?: string; status?: number };
        emit({
          type: 'retry',
          modelId,
          requestId,
          attempt,
          delayMs,
          reason: message ?? String(error),
          status,
        });
      },
    };
  }
  type Call = ReturnType<typeof begin>;

  /**
   * The call's failure, tagged with its request id (as the `error` event reports it). A caller's
   * own abort reason is left untouched: one signal, and so one reason, may be shared by many calls.
   */
  function failed(call: Call, error: unknown, attempt: number): unknown {
    const callerReason = call.signal?.aborted && error === call.signal.reason;
    if (isMlkitError(error) && error.requestId === undefined && !callerReason) {
      (error as { requestId: string | undefined }).requestId = call.requestId;
    }
    call.emit({ type: 'error', modelId, requestId: call.requestId, attempt, error: error as Error });
    return error;
  }

  /** One attempt up to the response headers; a non-2xx status is thrown as its typed error. */
  async function send(call: Call, attempt: number, signal: AbortSignal): Promise<Response> {
    const { requestId } = call;
    call.emit({
      type: 'request',
      modelId,
      requestId,
      attempt,
      method: call.method,
      url: displayUrl(call.url),
    });
    const started = performance.now();
    const fetch = options.fetch ?? globalThis.fetch;
    // The string body serialised once in begin() and the attempt's own signal (its timers and the caller's).
    const response = await fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal,
    });
    const durationMs = performance.now() - started;
    call.emit({ type: 'response', modelId, requestId, attempt, status: response.status, durationMs });
    if (!response.ok)
      throw withResponseHeaders(await errorFromResponse(response, provider), response.headers);
    return response;
  }

  /** One logical non-streaming call: attempts with retries, each reading its whole body with `read`. */
  async function whole<R>(
    request: RequestOptions,
    accept: string,
    read: (response: Response, maxResponseBytes: number) => Promise<R>,
  ): Promise<R> {
    const call = begin(request, accept);
    let attempts = 0;
    try {
      return await withRetry(
        async (attempt) => {
          attempts = attempt;
          const timers = attemptTimers(call.signal, provider);
          // The attempt timeout covers the body too: a non-streaming body that stalls must not hang.
          timers.start('attempt', call.timeoutMs);
          let phase = 'sending the request';
          try {
            const response = await send(call, attempt, timers.signal);
            phase = 'reading the response body';
            return await read(response, call.maxResponseBytes);
          } catch (error) {
            throw toTransportError(error, timers.signal, provider, phase);
          } finally {
            timers.clear();
          }
        },
        call.policy,
        { signal: call.signal, onRetry: call.onRetry },
      );
    } catch (error) {
      throw failed(call, error, attempts);
    }
  }

  function json<S extends z.core.$ZodType>(request: RequestOptions & { schema: S }): Promise<z.output<S>> {
    return whole(request, 'application/json', async (response, maxResponseBytes) => {
      const { text, truncated } = await readLimitedText(response, maxResponseBytes);
      if (truncated) throw responseTooLarge(provider, maxResponseBytes, 'maxResponseBytes');
      return parseJsonResponse(text, request.schema, { provider, status: response.status });
    });
  }

  function bytes(request: RequestOptions & { accept?: string }): Promise<BytesResponse> {
    return whole(request, request.accept ?? 'application/json', async (response, maxResponseBytes) => {
      const read = await readLimitedBytes(response, maxResponseBytes);
      if (read.truncated) throw responseTooLarge(provider, maxResponseBytes, 'maxResponseBytes');
      return { status: response.status, headers: response.headers, bytes: read.bytes };
    });
  }

  async function* stream(request: StreamRequestOptions): AsyncGenerator<SseEvent, void, undefined> {
    const call = begin(request, 'text/event-stream');
    const firstChunkTimeoutMs = request.firstChunkTimeoutMs ?? options.firstChunkTimeoutMs;
    const idleTimeoutMs = request.idleTimeoutMs ?? options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const givenMaxEventBytes = request.maxEventBytes ?? options.maxEventBytes;
    // Without a limit of the caller's, readSse applies its own default (1 MiB).
    const maxEventBytes =
      givenMaxEventBytes === undefined ? undefined : sizeLimit('maxEventBytes', givenMaxEventBytes);
    // The stream decoder (and eventsource-parser) loads with the first stream, not with every app
    // that only makes whole calls.
    const { readSse } = await import('./sse.ts');
    let attempts = 0;
    // Retried only up to the first event: after output has reached the caller, a retry would repeat it.
    const opened = await withRetry(
      async (attempt) => {
        attempts = attempt;
        const timers = attemptTimers(call.signal, provider);
        timers.start('attempt', call.timeoutMs);
        timers.start('first-chunk', firstChunkTimeoutMs);
        let phase = 'sending the request';
        try {
          const response = await send(call, attempt, timers.signal);
          timers.stop('attempt');
          timers.start('idle', idleTimeoutMs);
          phase = 'reading the stream';
          if (response.headers.get('content-type')?.includes('json')) {
            const body = parseErrorBody(await readErrorBody(response));
            throw new ResponseValidationError(
              `${provider} answered a streaming request with JSON instead of text/event-stream: ${body.message}`,
              { provider, status: response.status },
            );
          }
          const events = readSse(response.body ?? new ReadableStream(), { maxEventBytes, provider });
          const first = await events.next();
          timers.stop('first-chunk');
          timers.stop('idle');
          return { timers, events, first };
        } catch (error) {
          const typed = toTransportError(error, timers.signal, provider, phase);
          timers.cancel();
          throw typed;
        }
      },
      call.policy,
      { signal: call.signal, onRetry: call.onRetry },
    ).catch((error: unknown) => {
      throw failed(call, error, attempts);
    });

    const { timers, events } = opened;
    let next = opened.first;
    try {
      while (!next.done) {
        yield next.value;
        // The idle clock runs only while we wait on the server, not while the caller handles an event.
        timers.start('idle', idleTimeoutMs);
        next = await events.next();
        timers.stop('idle');
      }
    } catch (error) {
      throw failed(call, toTransportError(error, timers.signal, provider, 'reading the stream'), attempts);
    } finally {
      timers.clear();
      // Early exit (break, return, throw in the loop body): cancel the body and close the connection.
      if (!next.done) {
        await events.return();
        timers.cancel();
      }
    }
  }

  return {
    provider,
    baseURL: root,
    json,
    bytes,
    stream: (request) => ({ [Symbol.asyncIterator]: () => stream(request) }),
  };
}
