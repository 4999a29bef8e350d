import { AuthenticationError, registerSecret } from '../errors.ts';

/** The auth part of TransportOptions. */
export interface AuthOptions {
  provider: string;
  apiKey?: string;
  apiKeyEnvVar?: string;
  authHeader?: { name: string; scheme?: string };
  dangerouslyAllowBrowser?: boolean;
}

/** Read an environment variable in Node, Bun or Deno; undefined elsewhere (browsers, edge runtimes). */
export function readEnv(name: string): string | undefined {
  const runtime = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(name: string): string | undefined } };
  };
  const value = runtime.process?.env?.[name] ?? readDenoEnv(runtime.Deno, name);
  return value?.trim() || undefined;
}

function readDenoEnv(deno: { env?: { get(name: string): string | undefined } } | undefined, name: string) {
  try {
    return deno?.env?.get(name);
  } catch {
    return undefined; // Deno without --allow-env throws instead of returning undefined
  }
}

// The only place that asks whether it runs in a browser (a page, not a worker or server).
function isBrowser(): boolean {
  return typeof (globalThis as { document?: unknown }).document !== 'undefined';
}

/**
 * The auth headers for every attempt: `Authorization: Bearer <key>` or a custom header. No key
 * (none given, none in the environment) means no header: local servers often need none.
 * The key is registered for redaction so that no error message can carry it.
 */
export function authHeaders(options: AuthOptions): Record<string, string> {
  const key = options.apiKey ?? (options.apiKeyEnvVar ? readEnv(options.apiKeyEnvVar) : undefined);
  if (!key) return {};
  registerSecret(key);
  if (isBrowser() && !options.dangerouslyAllowBrowser) {
    throw new AuthenticationError(
      `Refusing to send the ${options.provider} API key from a browser: every visitor could read it. ` +
        'Call the API from your server instead, or pass `dangerouslyAllowBrowser: true` if the key is meant to be public.',
      { provider: options.provider, status: undefined },
    );
  }
  const { name, scheme } = options.authHeader ?? { name: 'Authorization', scheme: 'Bearer' };
  return { [name]: scheme ? `${scheme} ${key}` : key };
}
