import type * as z from 'zod/mini';
import type { ModelEvent } from '../model.ts';

/** How a provider reaches its server. Every remote provider takes these (plus its own). */
export interface TransportOptions {
  /** Name used in errors and events, e.g. 'openai', 'vllm', 'triton'. */
  provider: string;
  /** Base URL every request path is joined to, e.g. 'https://api.openai.com/v1'. */
  baseURL: string;
  /** The API key. In Node, falls back to the environment variable `apiKeyEnvVar` when omitted. */
  apiKey?: string;
  /** Environment variable read (Node, Deno, Bun) when `apiKey` is omitted, e.g. 'OPENAI_API_KEY'. */
  apiKeyEnvVar?: string;
  /** Where the key goes: `Authorization: Bearer <key>` by default, or a custom header (e.g. 'api-key'). */
  authHeader?: { name: string; scheme?: string };
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A custom fetch (proxies, undici agents with longer body timeouts, test doubles). */
  fetch?: typeof globalThis.fetch;
  /** Retries after the first attempt for retryable failures. Default 2. */
  maxRetries?: number;
  /** Per-attempt limit until the response headers arrive (for `json()`, until its body is read), in ms. Default 600_000 (10 min). */
  timeoutMs?: number;
  /** Streams: per-attempt limit until the first event, in ms. Default: none beyond `timeoutMs`. */
  firstChunkTimeoutMs?: number;
  /** Streams: most ms between two events before the stream is a TimeoutError('idle'). Default 60_000. */
  idleTimeoutMs?: number;
  /**
   * Largest JSON response body read, in bytes; past it the read stops with a ResponseTooLargeError.
   * Default 33_554_432 (32 MiB). Error bodies are read up to 64 KiB, whatever this says.
   */
  maxResponseBytes?: number;
  /** Streams: largest single event, in bytes (decoded characters); past it a ResponseTooLargeError. Default 1_048_576 (1 MiB). */
  maxEventBytes?: number;
  /**
   * Backoff: base delay (default 500 ms, doubling each retry, minus up to 25% jitter), cap (default
   * 8_000 ms), and the most a server's Retry-After may ask (default 60_000 ms; a larger hint falls back
   * to the backoff). `connectionRetryDelayMs` (default 0) is the wait before the first retry after a
   * connection error (refused, reset or closed before any response), made on a fresh connection.
   * `random` is the jitter source (tests). With the defaults a call gives up after about 1.5 s of
   * waits (375-500 ms, then 750-1000 ms; 0 then 750-1000 ms after a connection error); `maxRetries: 3`
   * stretches that to 2.6-3.5 s, past a load balancer's 1-2 s to mark a dead replica down.
   */
  retry?: {
    baseDelayMs?: number;
    maxDelayMs?: number;
    maxRetryAfterMs?: number;
    connectionRetryDelayMs?: number;
    /** The jitter source, returning a number in [0, 1) like `Math.random` (the default); tests pass a fixed one. */
    random?: () => number;
  };
  /** Allow a secret API key in a browser. Off by default: keys in browsers leak to every visitor. */
  dangerouslyAllowBrowser?: boolean;
  /** Listener for every request, retry, response and error. */
  onEvent?: (event: ModelEvent) => void;
  /** Model id reported in events. */
  modelId?: string;
}

/** One logical call. Retries reuse the same idempotency key. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path relative to baseURL, e.g. 'chat/completions'. */
  path: string;
  /** JSON body; a Uint8Array is sent as it is (set its Content-Type in `headers`). */
  body?: unknown;
  signal?: AbortSignal;
  /** This call's headers, over the transport's. An `x-request-id` here is sent instead of a fresh UUID per call. */
  headers?: Record<string, string>;
  maxRetries?: number;
  timeoutMs?: number;
  /** This call's `maxResponseBytes`, over the transport's. */
  maxResponseBytes?: number;
  /** Listener for this request's events (request, retry, response, error). */
  onEvent?: (event: ModelEvent) => void;
  /** Sent as `Idempotency-Key` on POST; minted once per logical call when omitted. */
  idempotencyKey?: string;
}

export interface StreamRequestOptions extends RequestOptions {
  firstChunkTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** This stream's `maxEventBytes`, over the transport's. */
  maxEventBytes?: number;
}

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field; undefined for plain `data:` messages. */
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** A response read as bytes (`Transport.bytes`): binary bodies, or JSON the caller parses itself. */
export interface BytesResponse {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

/** The HTTP client of one provider: JSON and event-stream requests with auth, retries, timeouts and typed errors. */
export interface Transport {
  readonly provider: string;
  readonly baseURL: string;
  /** Send a request, retry per policy, validate the JSON response with `schema`. */
  json<S extends z.core.$ZodType>(request: RequestOptions & { schema: S }): Promise<z.output<S>>;
  /** Send a request, retry per policy, return the 2xx response's bytes and headers (within `maxResponseBytes`). */
  bytes(request: RequestOptions & { accept?: string }): Promise<BytesResponse>;
  /**
   * Send a request whose response is `text/event-stream`. Retried only before its first event.
   * Breaking out of `for await` or aborting cancels the body. A body that ends without the
   * protocol's end marker is the caller's to judge (the provider knows its marker).
   */
  stream(request: StreamRequestOptions): AsyncIterable<SseEvent>;
}
