import { describe, expect, it } from 'vitest';
import {
  AbortError,
  InvalidInputError,
  isMlkitError,
  MlkitError,
  RateLimitError,
  redactSecrets,
  registerSecret,
  ServerError,
  TimeoutError,
} from '../../src/errors.ts';

describe('errors', () => {
  it('carries code, name, retryable, status, provider and cause', () => {
    const cause = new Error('socket hang up');
    const error = new RateLimitError('slow down', { provider: 'openai', retryAfterMs: 1500, cause });
    expect(error.code).toBe('rate_limit');
    expect(error.name).toBe('RateLimitError');
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(429);
    expect(error.provider).toBe('openai');
    expect(error.retryAfterMs).toBe(1500);
    expect(error.cause).toBe(cause);
  });

  it('is an instance of its class and of MlkitError, not of siblings', () => {
    const error = new TimeoutError('late', { kind: 'idle', timeoutMs: 10 });
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toBeInstanceOf(MlkitError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(AbortError);
    expect(isMlkitError(error)).toBe(true);
  });

  it('recognises errors from another installed copy by their Symbol.for brand', () => {
    // What a second copy of the package produces: a plain Error carrying the shared brand and code.
    const foreign = Object.assign(new Error('from elsewhere'), { code: 'server' });
    Object.defineProperty(foreign, Symbol.for('mlkit.error'), { value: true });
    expect(foreign).toBeInstanceOf(MlkitError);
    expect(foreign).toBeInstanceOf(ServerError);
    expect(foreign).not.toBeInstanceOf(InvalidInputError);
    expect(new Error('plain')).not.toBeInstanceOf(MlkitError);
  });

  it('marks total timeouts as not retryable and per-attempt timeouts as retryable', () => {
    expect(new TimeoutError('x', { kind: 'total', timeoutMs: 1 }).retryable).toBe(false);
    expect(new TimeoutError('x', { kind: 'attempt', timeoutMs: 1 }).retryable).toBe(true);
  });

  it('redacts registered secrets and key-shaped strings from messages', () => {
    registerSecret('my-very-secret-key-123');
    const error = new ServerError(
      'failed with key my-very-secret-key-123 and Bearer abcdefghijklmnop and sk-proj-abcdefghijklmnopqrstu',
    );
    expect(error.message).not.toContain('my-very-secret-key-123');
    expect(error.message).not.toContain('abcdefghijklmnop');
    expect(error.message).not.toContain('sk-proj-abcdefghijklmnopqrstu');
    expect(JSON.stringify(error.toJSON())).not.toContain('secret-key');
    expect(redactSecrets('api_key=hunter2hunter2')).toBe('api_key=[REDACTED]');
  });
});
