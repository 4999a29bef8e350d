import * as z from 'zod/mini';
import { abortErrorOf } from '../abort.ts';
import {
  AuthenticationError,
  InvalidInputError,
  type InvalidInputIssue,
  isMlkitError,
  type MlkitError,
  NetworkError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
} from '../errors.ts';
import { safeParse } from '../zod.ts';
import { readLimitedText } from './body.ts';
import { markBeforeResponse, parseRetryAfter } from './retry.ts';

// The error body shapes servers send, most specific first.
const OpenAIErrorBody = z.object({
  error: z.object({
    message: z.string(),
    type: z.nullish(z.string()),
    param: z.nullish(z.string()),
    code: z.nullish(z.union([z.string(), z.number()])),
  }),
});
const Issues = z.array(z.object({ path: z.string(), message: z.string() }));
/** OIP v2 (Triton, KServe), TF Serving, and `@mlkit/server`'s plain `{error, code, issues}`. */
const StringErrorBody = z.object({ error: z.string(), issues: z.optional(Issues) });
/**
 * FastAPI: a string, or pydantic's validation issues with their location in the request
 * (`["body", "data", 0, 1]`, https://fastapi.tiangolo.com/tutorial/handling-errors/).
 */
const FastApiErrorBody = z.object({
  detail: z.union([
    z.string(),
    z.array(z.object({ loc: z.optional(z.array(z.union([z.string(), z.number()]))), msg: z.string() })),
  ]),
});

/** A FastAPI `loc` as a path in mlkit's notation: `["body", "data", 0]` -> `body.data[0]`. */
function locationPath(loc: readonly (string | number)[] | undefined): string {
  if (!loc || loc.length === 0) return 'body';
  return loc.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');
}
/** Older vLLM (`{object: "error", message, type, code}`) and most others. */
const MessageErrorBody = z.object({
  message: z.string(),
  type: z.nullish(z.string()),
  code: z.nullish(z.union([z.string(), z.number()])),
});

/** What an error response says, whichever server sent it. */
export interface ErrorBody {
  message: string;
  type?: string;
  code?: string;
  param?: string;
  /** Where the request was wrong, when the server says (FastAPI's `loc`, `@mlkit/server`'s `issues`). */
  issues?: InvalidInputIssue[];
}

/** Normalise an error body (OpenAI, vLLM, OIP v2, TF Serving, FastAPI, `{message}`, plain text). */
export function parseErrorBody(text: string): ErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { message: text.trim().slice(0, 1000) || '(empty body)' };
  }
  const openai = OpenAIErrorBody.safeParse(json);
  if (openai.success) {
    const { message, type, param, code } = openai.data.error;
    return { message, type: type ?? undefined, param: param ?? undefined, code: code?.toString() };
  }
  const plain = StringErrorBody.safeParse(json);
  if (plain.success) {
    const { error, issues } = plain.data;
    return issues ? { message: error, issues } : { message: error };
  }
  const fastApi = FastApiErrorBody.safeParse(json);
  if (fastApi.success) {
    const { detail } = fastApi.data;
    if (typeof detail === 'string') return { message: detail };
    const issues = detail.map((issue) => ({ path: locationPath(issue.loc), message: issue.msg }));
    return { message: issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), issues };
  }
  const other = MessageErrorBody.safeParse(json);
  if (other.success) {
    const { message, type, code } = other.data;
    return { message, type: type ?? undefined, code: code?.toString() };
  }
  return { message: text.trim().slice(0, 1000) };
}

const HINTS: Record<number, string> = {
  400: 'The server rejected the request; fix the input.',
  401: 'Check the API key.',
  403: 'The key may not use this model or route.',
  404: 'Check the model id and the base URL.',
  422: 'The server rejected the request; fix the input.',
  429: 'Rate limited; retry later or lower the request rate.',
};

/** The typed error for an HTTP status: 4xx are the caller's to fix, 408/409/429/5xx are retryable. */
export function errorFromStatus(
  status: number,
  body: ErrorBody,
  options: { provider: string; retryAfterMs?: number },
): MlkitError {
  const { provider, retryAfterMs } = options;
  const detail = [body.type, body.code].filter(Boolean).join(', ');
  const hint = HINTS[status] ?? (status >= 500 ? 'The server failed; retry later.' : '');
  const message =
    `${provider} returned HTTP ${status}: ${body.message}${detail ? ` (${detail})` : ''}. ${hint}`.trim();
  const init = { status, provider };
  if (status === 400 || status === 422) {
    return new InvalidInputError(message, body.issues ? { ...init, issues: body.issues } : init);
  }
  if (status === 401) return new AuthenticationError(message, init);
  if (status === 403) return new PermissionError(message, init);
  if (status === 404) return new NotFoundError(message, init);
  if (status === 429) return new RateLimitError(message, { ...init, retryAfterMs });
  const retryable = status === 408 || status === 409 || status >= 500;
  return new ServerError(message, { ...init, retryable });
}

/** Enough of an error body for its message; the rest is not read. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Read a failed response's body (its first 64 KiB) and map it to the error hierarchy, keeping status and provider. */
export async function errorFromResponse(response: Response, provider: string): Promise<MlkitError> {
  // A body that cannot be read still leaves the status to go by.
  const text = await readErrorBody(response);
  const retryAfterMs = parseRetryAfter(response.headers);
  return errorFromStatus(response.status, parseErrorBody(text), { provider, retryAfterMs });
}

/** The first 64 KiB of an error body as text ('' when it cannot be read). */
export async function readErrorBody(response: Response): Promise<string> {
  return (await readLimitedText(response, MAX_ERROR_BODY_BYTES).catch(() => ({ text: '' }))).text;
}

/** The message chain of an error and its causes, e.g. `fetch failed: connect ECONNREFUSED 127.0.0.1:9`. */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(
      typeof code === 'string' && !current.message.includes(code)
        ? `${current.message} (${code})`
        : current.message,
    );
    current = current.cause;
  }
  return parts.join(': ') || String(error);
}

function isNetworkFailure(error: unknown): boolean {
  if (error instanceof TypeError) return true; // fetch rejects with TypeError
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+|UND_ERR)/.test(code); // custom fetch implementations
}

/**
 * Turn whatever an attempt threw into a typed error: the signal's reason when it fired (caller
 * abort, total deadline, attempt/first-chunk/idle timeout), NetworkError for a failed connection.
 * `context` says what was going on, e.g. 'reading the response body'.
 */
export function toTransportError(
  error: unknown,
  signal: AbortSignal,
  provider: string,
  context: string,
): unknown {
  if (signal.aborted) return abortErrorOf(signal);
  if (isMlkitError(error)) return error;
  if (!isNetworkFailure(error)) return error;
  const message = `Network error talking to ${provider} while ${context}: ${describe(error)}`;
  const typed = new NetworkError(message, { provider, cause: error });
  // No response yet: a refused or reset connection here may be retried at once (retry.ts).
  return context === 'sending the request' ? markBeforeResponse(typed) : typed;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = 'response';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

/** Parse and validate a 2xx JSON body; anything else is a ResponseValidationError naming the path. */
export function parseJsonResponse<S extends z.core.$ZodType>(
  text: string,
  schema: S,
  options: { provider: string; status: number; parse?: ((text: string) => unknown) | undefined },
): z.output<S> {
  const { provider, status } = options;
  let json: unknown;
  try {
    json = (options.parse ?? JSON.parse)(text);
  } catch (cause) {
    const excerpt = text.trim().slice(0, 200) || '(empty body)';
    throw new ResponseValidationError(`${provider} sent a response that is not JSON: ${excerpt}`, {
      provider,
      status,
      cause,
    });
  }
  const result = safeParse(schema, json);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  throw new ResponseValidationError(
    `${provider} sent a response that does not match its protocol: ${issues.join('; ')}`,
    { provider, status, cause: result.error },
  );
}
