import { InvalidInputError, isModel, type Model, parseInput } from '@mlkit/core';
import type { Tracer } from '@opentelemetry/api';
import { z } from 'zod';
import { Cors } from './cors.ts';
import { MediaUrls, type ResolvedMediaUrls } from './media-urls.ts';

/** Schema of the server's limits. */
export const Limits = z.strictObject({
  /** Largest request body, in bytes (Content-Length and the bytes actually read). Default 1 MiB. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /**
   * Largest uploaded file body (multipart/form-data or raw bytes: audio, images), in bytes; a
   * larger one is a 413 before it is read whole. Default 26_214_400 (25 MiB, OpenAI's audio limit).
   */
  maxUploadBytes: z
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  /**
   * Deepest nesting of arrays/objects in a JSON body, checked before it is parsed (a deeper body
   * is a 400, not a stack overflow). Default 64: real tensors and chats need fewer than 10.
   */
  maxJsonDepth: z.number().int().positive().default(64),
  /** Calls one model runs at once; the rest wait. Default 4. */
  maxConcurrency: z.number().int().positive().default(4),
  /** Requests that may wait per model; one more is refused with 429 and Retry-After. Default 64. */
  maxQueue: z.number().int().nonnegative().default(64),
  /**
   * Deadline for a whole request (body upload, queue, run and stream), in ms; answered 408 while
   * the body is still arriving, 504 after. Default 300_000.
   */
  requestTimeoutMs: z.number().positive().default(300_000),
});
/** The server's limits: body size, concurrency and queue per model, request deadline. */
export type Limits = z.input<typeof Limits>;

/** Schema of the server's dynamic batching. */
export const Batching = z.strictObject({
  /** How long the first request of a batch waits for others, in ms. Default 2. */
  windowMs: z.number().nonnegative().default(2),
  /** Most rows or texts in one model run (also capped by the model's `capabilities.maxBatch`). Default 32. */
  maxBatch: z.number().int().positive().default(32),
});
/** Dynamic batching of concurrent requests to one model: how long to wait and how many items at most. */
export type Batching = z.input<typeof Batching>;

/** What the server reports through `onEvent`. */
export type ServerEvent =
  | {
      type: 'request';
      method: string;
      route: string;
      status: number;
      durationMs: number;
      /** The request's `x-request-id`: the client's, or one the server made. */
      requestId: string;
      model?: string;
    }
  | { type: 'batch'; model: string; requests: number; items: number }
  | { type: 'error'; route: string; status: number; error: Error; requestId: string }
  /** `not-ready`: readiness answers 503, requests are still served for `drainDelayMs` (0 when nothing probed readiness). */
  | { type: 'shutdown'; phase: 'not-ready'; inflight: number; drainDelayMs: number }
  /** `draining`: new requests are refused and the listener is closed; `aborting`: `graceMs` is over; `closed`: models disposed. */
  | { type: 'shutdown'; phase: 'draining' | 'aborting' | 'closed'; inflight: number };

/** Where the server writes unexpected failures; API keys and bodies are never passed to it. */
export interface Logger {
  /** An unexpected failure (a model threw, a stream broke). */
  error(message: string, details?: Record<string, unknown>): void;
  /** Something to look at that did not fail a request. */
  warn?(message: string, details?: Record<string, unknown>): void;
}

/** Options of `createServer()`. */
export interface ServerOptions {
  /** The models to serve, by the name clients use (`model` in OpenAI bodies, `{name}` in paths). */
  models: Record<string, Model>;
  /** Accepted bearer keys. When set, every route except `/v2/health/*` needs one (401 without or with a wrong one). */
  apiKeys?: string[];
  limits?: Limits;
  /** Dynamic batching for classification and embedding models that batch; on by default, `false` turns it off. */
  batching?: Batching | false;
  /** Name reported by `GET /v2`. Default 'mlkit'. */
  name?: string;
  /** Let browser pages on other origins call the server (CORS). Off by default. */
  cors?: Cors;
  /**
   * How long `close()` keeps serving with readiness at 503 before it refuses new requests, so that load
   * balancers take the replica out first. Applied only when a readiness probe was answered since
   * start. Default 10_000 ms: haproxy's default checks (inter 2 s, fall 3) need 6 s, GCP's (5 s x 2)
   * 10 s, Kubernetes endpoint removal a few seconds. Keep `drainDelayMs` + `graceMs` under the
   * platform's kill deadline (Kubernetes `terminationGracePeriodSeconds`, default 30 s).
   */
  drainDelayMs?: number;
  /** Listener for request, batch, error and shutdown events (for logs and tracing). */
  onEvent?: (event: ServerEvent) => void;
  /** Default: `console`. */
  logger?: Logger;
  /**
   * Trace every request with this OpenTelemetry tracer: a SERVER span per request (`http.*`
   * attributes, `mlkit.request_id`), ended with the answer or its stream. Off without one.
   */
  tracer?: Tracer;
  /**
   * Which image and audio URLs in requests the server fetches (`allowHosts`, with `maxBytes`,
   * `timeoutMs`, `maxRedirects`). Off by default: a URL is a 400 that names this option, so that
   * no request can make the server reach internal addresses; `data:` URLs are always read.
   */
  mediaUrls?: MediaUrls;
}

export interface ResolvedOptions {
  models: Map<string, Model>;
  apiKeys: string[];
  limits: z.output<typeof Limits>;
  batching: z.output<typeof Batching> | false;
  name: string;
  cors: z.output<typeof Cors> | undefined;
  drainDelayMs: number;
  onEvent: ((event: ServerEvent) => void) | undefined;
  logger: Logger;
  mediaUrls: ResolvedMediaUrls;
}

const DEFAULT_DRAIN_DELAY_MS = 10_000;

/** Check the options once, at start, with errors that name the option to fix. */
export function resolveOptions(options: ServerOptions): ResolvedOptions {
  const models = new Map<string, Model>();
  if (!options || typeof options.models !== 'object' || options.models === null) {
    throw new InvalidInputError('createServer needs `models`: an object of served name -> Model', {
      issues: [{ path: 'options.models', message: 'expected an object' }],
    });
  }
  for (const [name, model] of Object.entries(options.models)) {
    if (!isModel(model)) {
      throw new InvalidInputError(
        `options.models["${name}"] is not an mlkit Model; build it with defineModel()`,
        {
          issues: [{ path: `options.models.${name}`, message: 'expected a Model' }],
        },
      );
    }
    models.set(name, model);
  }
  if (models.size === 0) {
    throw new InvalidInputError('createServer needs at least one model in `models`', {
      issues: [{ path: 'options.models', message: 'no models' }],
    });
  }
  const apiKeys = parseInput(z.array(z.string().min(1)).optional(), options.apiKeys, 'options.apiKeys') ?? [];
  return {
    models,
    apiKeys,
    limits: parseInput(Limits, options.limits ?? {}, 'options.limits'),
    batching:
      options.batching === false ? false : parseInput(Batching, options.batching ?? {}, 'options.batching'),
    name: options.name ?? 'mlkit',
    cors: options.cors === undefined ? undefined : parseInput(Cors, options.cors, 'options.cors'),
    drainDelayMs:
      parseInput(z.number().nonnegative().optional(), options.drainDelayMs, 'options.drainDelayMs') ??
      DEFAULT_DRAIN_DELAY_MS,
    onEvent: options.onEvent,
    logger: options.logger ?? console,
    mediaUrls: parseInput(MediaUrls, options.mediaUrls ?? {}, 'options.mediaUrls'),
  };
}
