import { type InvalidInputIssue, isMlkitError, type MlkitError } from '@mlkit/core';
import { oipWire, openaiWire } from '@mlkit/core/protocols';

export interface HttpErrorOptions {
  /** Machine-readable kind, e.g. 'invalid_json', 'model_not_found', 'queue_full'. */
  code?: string;
  /** Paths into the request that failed validation. */
  issues?: InvalidInputIssue[];
  /** The request field at fault (OpenAI's `param`). */
  param?: string;
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A failure with its HTTP status; each protocol renders it in its own error shape. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: InvalidInputIssue[];
  readonly param: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = options.code ?? codeOfStatus(status);
    this.issues = options.issues ?? [];
    this.param = options.param ?? options.issues?.[0]?.path;
    this.headers = options.headers ?? {};
  }
}

function codeOfStatus(status: number): string {
  if (status === 400) return 'invalid_request';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'internal_error' : 'bad_request';
}

/** Both headers clients read: `Retry-After` (whole seconds, RFC 9110) and OpenAI's `retry-after-ms`. */
function retryAfterHeaders(retryAfterMs: number): Record<string, string> {
  const ms = Math.max(1, Math.round(retryAfterMs));
  return { 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(ms) };
}

/**
 * The HTTP face of any failure. Core errors map by `code`: the caller's mistakes are 4xx, a
 * model's upstream failures (a served model that is itself remote) and answers that break the
 * request's schema (InvalidOutputError) are 502, deadlines 504.
 * Anything else is a 500 whose message hides internals.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (!isMlkitError(error)) {
    return new HttpError(500, 'Internal server error; the server log has the details', { cause: error });
  }
  return fromMlkitError(error);
}

function fromMlkitError(error: MlkitError): HttpError {
  const cause = error;
  switch (error.code) {
    case 'invalid_input':
      return new HttpError(400, error.message, {
        code: 'invalid_input',
        issues: (error as MlkitError & { issues?: InvalidInputIssue[] }).issues ?? [],
        cause,
      });
    case 'unsupported': {
      // A protocol's mapping names the request field the model cannot honour (OpenAI's `param`).
      const param = (error as MlkitError & { param?: string }).param;
      if (param === undefined) return new HttpError(400, error.message, { code: 'unsupported', cause });
      return new HttpError(400, error.message, { code: 'unsupported_parameter', param, cause });
    }
    case 'rate_limit':
    case 'overloaded': {
      const retryAfterMs = (error as MlkitError & { retryAfterMs?: number }).retryAfterMs ?? 1000;
      return new HttpError(429, error.message, {
        code: 'queue_full',
        headers: retryAfterHeaders(retryAfterMs),
        cause,
      });
    }
    case 'timeout':
      return new HttpError(504, error.message, { code: 'timeout', cause });
    case 'abort':
      // The request's own signal fired: shutdown passes its HttpError as the reason; else the client left.
      if (error.cause instanceof HttpError) return error.cause;
      return new HttpError(499, 'The client closed the request', { code: 'client_closed', cause });
    case 'model_load':
      return new HttpError(503, error.message, { code: 'model_unavailable', cause });
    case 'invalid_output':
      // The request was fine; the model's answer broke its schema (a tool's parameters, the json format).
      return new HttpError(502, error.message, { code: 'invalid_output', cause });
    default:
      return new HttpError(502, `The model failed: ${error.message}`, { code: 'upstream_error', cause });
  }
}

type PathSegment = string | number;

/** `input.tools[1].name` as ['input', 'tools', 1, 'name']. */
function segmentsOf(path: string): PathSegment[] {
  return [...path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map(([, index, key]) =>
    index === undefined ? key! : Number(index),
  );
}

function pathText(segments: readonly PathSegment[]): string {
  return segments
    .map((segment, at) => (typeof segment === 'number' ? `[${segment}]` : at === 0 ? segment : `.${segment}`))
    .join('');
}

/**
 * The failure of running a decoded request, with the task's paths (`input.tools[1].name`, or a
 * model's bare `responseFormat.schema`) put in the request's terms by the protocol's `requestPathOf`
 * — in `param`, the issues and the message — so clients see the names they sent.
 */
export function inRequestTerms(
  error: unknown,
  requestPathOf: (path: readonly PathSegment[]) => PathSegment[],
): HttpError {
  const httpError = toHttpError(error);
  const paths = [httpError.param, ...httpError.issues.map((issue) => issue.path)].filter(
    (path): path is string => path !== undefined,
  );
  if (paths.length === 0) return httpError;
  const wire = new Map<string, string>();
  for (const path of paths) {
    const segments = segmentsOf(path);
    wire.set(path, pathText(requestPathOf(segments[0] === 'input' ? segments.slice(1) : segments)) || path);
  }
  // Longest first, so `input.messages[1].toolCallId` is not read as `input.messages[1]` and a rest.
  let message = httpError.message;
  for (const path of [...wire.keys()].sort((a, b) => b.length - a.length)) {
    message = message.replaceAll(path, wire.get(path)!);
  }
  return new HttpError(httpError.status, message, {
    code: httpError.code,
    issues: httpError.issues.map((issue) => ({ ...issue, path: wire.get(issue.path)! })),
    ...(httpError.param !== undefined && { param: wire.get(httpError.param)! }),
    headers: httpError.headers,
    cause: httpError.cause ?? error,
  });
}

/** Which error shape a path's clients expect. */
export type Protocol = 'openai' | 'oip' | 'plain';

export function protocolOf(path: string): Protocol {
  if (path === '/v1' || path.startsWith('/v1/')) return 'openai';
  if (path === '/v2' || path.startsWith('/v2/')) return 'oip';
  return 'plain';
}

/** The JSON body of an error: OpenAI's `{error:{message,type,param,code}}`, OIP's `{error}`, or plain. */
export function errorBody(protocol: Protocol, error: HttpError): unknown {
  if (protocol === 'openai') return openaiWire.errorBody(error);
  if (protocol === 'oip') return oipWire.errorBody(error.message);
  const issues = error.issues.length > 0 ? { issues: error.issues } : {};
  return { error: error.message, code: error.code, ...issues };
}
