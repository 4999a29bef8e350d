import { HttpError } from './errors.ts';

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/**
 * Bearer API-key check in constant time: the presented key and every accepted key are compared
 * as SHA-256 digests (fixed length, so the length of a key leaks nothing), byte by byte without
 * an early exit, and against every accepted key, so timing tells neither how much matched nor which.
 * Returns the error to answer, or undefined when the key is accepted. Keys never reach a message.
 */
export function createKeyCheck(
  keys: readonly string[],
): (authorization: string | null) => Promise<HttpError | undefined> {
  let digests: Promise<Uint8Array[]> | undefined;
  return async (authorization) => {
    const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match) {
      return new HttpError(401, 'Missing API key: send the header "Authorization: Bearer <key>"', {
        code: 'missing_api_key',
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    digests ??= Promise.all(keys.map(sha256));
    const presented = await sha256(match[1]!);
    let accepted = 0;
    for (const digest of await digests) {
      let difference = 0;
      for (let i = 0; i < digest.length; i++) difference |= digest[i]! ^ presented[i]!;
      accepted |= difference === 0 ? 1 : 0;
    }
    if (accepted === 1) return undefined;
    // OpenAI answers a wrong key with 401 invalid_api_key (403 means a valid key without access).
    return new HttpError(
      401,
      'Incorrect API key: this server does not accept it; send one of its keys as "Authorization: Bearer <key>"',
      {
        code: 'invalid_api_key',
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      },
    );
  };
}
