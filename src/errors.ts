/**
 * One error hierarchy for every mlkit package. Each error says what to do next, carries
 * `retryable`, and where known the HTTP `status`, the `provider` and the `cause`.
 *
 * Checks work across two installed copies of mlkit: every class is branded with a
 * `Symbol.for(...)` key and `instanceof` consults the brand, not the prototype chain.
 */

const BRAND = Symbol.for('mlkit.error');

/** The kind of an mlkit error, as `error.code`: stable across versions, one per error class. */
export type ErrorCode =
  | 'invalid_input'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'rate_limit'
  | 'timeout'
  | 'abort'
  | 'server'
  | 'network'
  | 'response_validation'
  | 'response_too_large'
  | 'unsupported'
  | 'model_load'
  | 'overloaded'
  | 'invalid_output';

// Names by code, so that `error.name` survives minifiers that rename classes.
const ERROR_NAMES: Record<ErrorCode, string> = {
  invalid_input: 'InvalidInputError',
  authentication: 'AuthenticationError',
  permission: 'PermissionError',
  not_found: 'NotFoundError',
  rate_limit: 'RateLimitError',
  timeout: 'TimeoutError',
  abort: 'AbortError',
  server: 'ServerError',
  network: 'NetworkError',
  response_validation: 'ResponseValidationError',
  response_too_large: 'ResponseTooLargeError',
  unsupported: 'UnsupportedError',
  model_load: 'ModelLoadError',
  overloaded: 'OverloadedError',
  invalid_output: 'InvalidOutputError',
};

/** What every mlkit error may carry besides its message. */
export interface MlkitErrorOptions {
  status?: number;
  provider?: string;
  cause?: unknown;
  retryable?: boolean;
  /** The `x-request-id` of the HTTP call that failed, as the server saw it. */
  requestId?: string;
}

/** Base class of every mlkit error. Prefer the subclasses; `code` names the kind. */
export class MlkitError extends Error {
  /** The kind of error, stable across versions: branch on this in code that cannot import the classes. */
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly provider: string | undefined;
  /**
   * The `x-request-id` the HTTP transport sent for the failed call (the same on every retry; the
   * caller's own when they set the header), to find the call in the server's logs. Undefined for
   * local models, and for a caller's own abort reason, which may be shared by many calls.
   */
  readonly requestId: string | undefined;

  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = (new.target as unknown as { errorCode?: ErrorCode }).errorCode ?? 'server';
    this.name = new.target === MlkitError ? 'MlkitError' : ERROR_NAMES[this.code];
    this.status = options.status;
    this.provider = options.provider;
    this.requestId = options.requestId;
    this.retryable = options.retryable ?? false;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Works across duplicate installs: true for any mlkit error of this class (or a subclass). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(value as any)[BRAND]) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about (a subclass too).
    const code = (this as unknown as { errorCode?: ErrorCode }).errorCode;
    return code === undefined || (value as { code?: unknown }).code === code;
  }

  /** JSON-safe view (used by logs and the server): never includes secrets. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      status: this.status,
      provider: this.provider,
      requestId: this.requestId,
    };
  }
}

/** One problem of an invalid input: where it is and what is wrong. */
export interface InvalidInputIssue {
  /** Dotted path into the input, e.g. `input.messages[0].role`. */
  path: string;
  message: string;
}

/** The input does not match the task's schema, or does not fit the model. Fix the input. */
export class InvalidInputError extends MlkitError {
  static readonly errorCode: ErrorCode = 'invalid_input';
  readonly issues: InvalidInputIssue[];
  constructor(message: string, options: MlkitErrorOptions & { issues?: InvalidInputIssue[] } = {}) {
    super(message, { ...options, retryable: false });
    this.issues = options.issues ?? [];
  }
}

/** The credentials were missing or rejected (HTTP 401). Check the API key. */
export class AuthenticationError extends MlkitError {
  static readonly errorCode: ErrorCode = 'authentication';
  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(message, { status: 401, ...options, retryable: false });
  }
}

/** The credentials are valid but may not do this (HTTP 403). */
export class PermissionError extends MlkitError {
  static readonly errorCode: ErrorCode = 'permission';
  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(message, { status: 403, ...options, retryable: false });
  }
}

/** The model or route does not exist (HTTP 404). Check the model id and base URL. */
export class NotFoundError extends MlkitError {
  static readonly errorCode: ErrorCode = 'not_found';
  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(message, { status: 404, ...options, retryable: false });
  }
}

/** Too many requests (HTTP 429). `retryAfterMs` is the server's hint when it gave one. */
export class RateLimitError extends MlkitError {
  static readonly errorCode: ErrorCode = 'rate_limit';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: MlkitErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, { status: 429, retryable: true, ...options });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Which limit ran out: `timeoutMs` (total), `attemptTimeoutMs`, `firstChunkTimeoutMs` or `idleTimeoutMs`. */
export type TimeoutKind = 'total' | 'attempt' | 'first-chunk' | 'idle';

/** A deadline passed: the whole call (`total`), one attempt, the first chunk, or the gap between chunks. */
export class TimeoutError extends MlkitError {
  static readonly errorCode: ErrorCode = 'timeout';
  readonly kind: TimeoutKind;
  readonly timeoutMs: number;
  constructor(message: string, options: MlkitErrorOptions & { kind: TimeoutKind; timeoutMs: number }) {
    super(message, { retryable: options.kind !== 'total', ...options });
    this.kind = options.kind;
    this.timeoutMs = options.timeoutMs;
  }
}

/** The caller aborted (their AbortSignal fired). Never retried. */
export class AbortError extends MlkitError {
  static readonly errorCode: ErrorCode = 'abort';
  constructor(message = 'The operation was aborted by the caller', options: MlkitErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** The server failed (HTTP 5xx, 408, 409) or sent an error inside a stream. */
export class ServerError extends MlkitError {
  static readonly errorCode: ErrorCode = 'server';
  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/** The connection failed, was reset, or a stream ended before its end marker. */
export class NetworkError extends MlkitError {
  static readonly errorCode: ErrorCode = 'network';
  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/** The provider answered with a body that does not match its protocol. */
export class ResponseValidationError extends MlkitError {
  static readonly errorCode: ErrorCode = 'response_validation';
  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/**
 * A response passed its size limit (`maxResponseBytes` for a body, `maxEventBytes` for one stream
 * event); the read stopped there and the connection was closed. Not retried: the same request
 * would get the same answer.
 */
export class ResponseTooLargeError extends MlkitError {
  static readonly errorCode: ErrorCode = 'response_too_large';
  /** The limit that was passed, in bytes. */
  readonly limitBytes: number;
  constructor(message: string, options: MlkitErrorOptions & { limitBytes: number }) {
    super(message, { ...options, retryable: false });
    this.limitBytes = options.limitBytes;
  }
}

/** The model or runtime cannot do this (a task, option, device or dtype it lacks). */
export class UnsupportedError extends MlkitError {
  static readonly errorCode: ErrorCode = 'unsupported';
  /** The request field that asked for it, where one did (OpenAI's `param`, e.g. `'tools'`). */
  readonly param: string | undefined;
  constructor(message: string, options: MlkitErrorOptions & { param?: string } = {}) {
    super(message, { ...options, retryable: false });
    this.param = options.param;
  }
}

/** A local model could not be loaded: missing file, invalid ONNX, inputs that do not fit the task. */
export class ModelLoadError extends MlkitError {
  static readonly errorCode: ErrorCode = 'model_load';
  constructor(message: string, options: MlkitErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** A queue is full (local concurrency limit or server backpressure). Retry after `retryAfterMs`. */
export class OverloadedError extends MlkitError {
  static readonly errorCode: ErrorCode = 'overloaded';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: MlkitErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, { status: 429, retryable: true, ...options });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The model answered, but not with what the call asked for: a tool call to an unknown tool or with
 * arguments that do not validate against the tool's schema, or (with `responseFormat` json) text
 * that is not JSON or does not match the schema — including a document cut off at `maxTokens`.
 * `text` is what the model wrote; `issues` say what is wrong. Not retried by the transport (the
 * request was fine); a sampled model may do better on another call.
 */
export class InvalidOutputError extends MlkitError {
  static readonly errorCode: ErrorCode = 'invalid_output';
  /** The model's raw output: the text, or the tool call's arguments as written. */
  readonly text: string;
  /** The tool whose call was invalid, when it was a tool call. */
  readonly toolName: string | undefined;
  readonly issues: InvalidInputIssue[];
  constructor(
    message: string,
    options: MlkitErrorOptions & { text: string; toolName?: string; issues?: InvalidInputIssue[] },
  ) {
    super(message, { ...options, retryable: false });
    this.text = options.text;
    this.toolName = options.toolName;
    this.issues = options.issues ?? [];
  }
}

/** True for any mlkit error, from this copy of the package or another. */
export function isMlkitError(value: unknown): value is MlkitError {
  return typeof value === 'object' && value !== null && (value as any)[BRAND] === true;
}

// --- Secret redaction -------------------------------------------------------------------------

const registeredSecrets = new Set<string>();

/**
 * Remember a secret (an API key) so that it is removed from every error message built later.
 * Called by the HTTP transport for the keys it is given; short strings are ignored.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 8) registeredSecrets.add(secret);
}

const SECRET_PATTERNS: RegExp[] = [
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]{8,}/g,
  /\b((?:api[_-]?key|token|secret|password)["']?\s*[:=]\s*["']?)[^\s"',&]{6,}/gi,
];

/** Replace known secrets and anything shaped like a key or bearer token with `[REDACTED]`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) out = out.split(secret).join('[REDACTED]');
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '$1[REDACTED]');
  return out;
}
