import { ResponseTooLargeError } from '../errors.ts';

// Its own module, not errors.ts: the stream decoder (sse.ts, import()ed with the first stream) needs only
// this, and importing errors.ts would put errors.ts's body and retry code into a chunk of their own that
// every page loads (esbuild splits shared code by the set of chunks that import it).
/** A body or stream event past its limit, naming the option that raises it. */
export function responseTooLarge(
  provider: string,
  limitBytes: number,
  option: 'maxResponseBytes' | 'maxEventBytes',
): ResponseTooLargeError {
  const what = option === 'maxResponseBytes' ? 'a response body' : 'a stream event';
  return new ResponseTooLargeError(
    `${provider} sent ${what} over ${limitBytes} bytes (${option}); the read was stopped. Raise ${option} if responses this large are expected`,
    { provider, limitBytes },
  );
}
