/**
 * OpenAI's error shapes, both directions. Client: errors that arrive inside a stream, after the
 * HTTP status was already 200 (OpenAI and vLLM send `data: {"error": {...}}`, some servers an
 * `event: error`), become the same typed errors an HTTP status would have produced, so callers
 * branch on `code` alike. Server: a failure's status, code and param as OpenAI's
 * `{error: {message, type, param, code}}` body, which OpenAI's SDKs read.
 */
import {
  AuthenticationError,
  InvalidInputError,
  type InvalidInputIssue,
  type MlkitError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  UnsupportedError,
} from '../../errors.ts';
import { StreamErrorBody } from './schemas.ts';

// --- Client: error body -> core error -----------------------------------------------------------

const ERROR_TYPES: Record<string, number> = {
  invalid_request_error: 400,
  BadRequestError: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  NotFoundError: 404,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  server_error: 500,
  InternalServerError: 500,
};

/** Reads `data` as an error body; undefined when it is not one. */
export function parseStreamError(data: unknown): { message: string; status: number | undefined } | undefined {
  const parsed = StreamErrorBody.safeParse(data);
  if (!parsed.success) return undefined;
  const body = parsed.data;
  if ('object' in body) return { message: body.message ?? 'unknown error', status: body.code ?? undefined };
  const { error } = body;
  if (typeof error === 'string') return { message: error, status: undefined };
  const status =
    typeof error.code === 'number'
      ? error.code
      : (ERROR_TYPES[error.type ?? ''] ?? ERROR_TYPES[error.code ?? '']);
  return { message: error.message ?? error.type ?? String(error.code ?? 'unknown error'), status };
}

/** The typed error for an error event inside a stream; unknown kinds are a ServerError. */
export function streamError(
  provider: string,
  error: { message: string; status: number | undefined },
  cause?: unknown,
): MlkitError {
  const message = `${provider} sent an error inside the stream: ${error.message}`;
  const options = { provider, cause, status: error.status };
  switch (error.status) {
    case 400:
    case 422:
      return new InvalidInputError(
        `${message} — the server rejected the request; check the input and options`,
        options,
      );
    case 401:
      return new AuthenticationError(`${message} — check the API key`, { ...options, status: 401 });
    case 403:
      return new PermissionError(message, { ...options, status: 403 });
    case 404:
      return new NotFoundError(`${message} — check the model id and baseURL`, { ...options, status: 404 });
    case 429:
      return new RateLimitError(message, { ...options, status: 429 });
    default:
      return new ServerError(message, options);
  }
}

// --- Server: refusal and error body -------------------------------------------------------------

/** A request field the served model cannot honour: the server answers 400 `unsupported_parameter` naming it. */
export const unsupported = (message: string, param: string): UnsupportedError =>
  new UnsupportedError(message, { param });

/** What the server knows of a failure once it has its HTTP status. */
export interface WireFailure {
  status: number;
  message: string;
  /** Machine-readable kind, e.g. 'invalid_json', 'unsupported_parameter'. */
  code: string;
  /** The request field at fault, where known. */
  param?: string | undefined;
  issues?: readonly InvalidInputIssue[] | undefined;
}

const ERROR_TYPES_BY_STATUS: Record<number, string> = {
  // OpenAI's own type for a missing or wrong key; its SDKs raise AuthenticationError on the status.
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  429: 'rate_limit_error',
  504: 'timeout_error',
};

/** OpenAI's `{error: {message, type, param, code}}` body of a failure (`issues` added when there are any). */
export function errorBody(failure: WireFailure) {
  const issues = failure.issues?.length ? { issues: failure.issues } : {};
  const type =
    ERROR_TYPES_BY_STATUS[failure.status] ??
    (failure.status >= 500 ? 'server_error' : 'invalid_request_error');
  const param = failure.param?.replace(/^body\.?/, '') || null;
  return { error: { message: failure.message, type, param, code: failure.code, ...issues } };
}
