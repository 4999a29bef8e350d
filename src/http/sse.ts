import { createParser } from 'eventsource-parser';
import { responseTooLarge } from './too-large.ts';
import type { SseEvent } from './types.ts';

/** Default bound on one event's buffered data: far above any token delta, far below harm. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** Options of `readSse()`. */
export interface ReadSseOptions {
  /**
   * Most data one event may buffer before it is dispatched (counted in decoded characters, which
   * are bytes for ASCII JSON); past it the body is cancelled with a ResponseTooLargeError. Default 1 MiB.
   */
  maxEventBytes?: number;
  /** Named in errors. Default 'server'. */
  provider?: string;
}

/**
 * Read a `text/event-stream` body as events. UTF-8 is decoded as a stream (a character split
 * across chunks stays whole); comments are skipped; a final event that lacks its blank line is
 * still dispatched at the end of the body (openai-node lost it, #2725). Leaving the loop early
 * cancels the body, which closes the connection. An event that never ends stops at `maxEventBytes`.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  options: ReadSseOptions = {},
): AsyncGenerator<SseEvent, void, undefined> {
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending: SseEvent[] = [];
  let overflow = false;
  const parser = createParser({
    // eventsource-parser counts what it holds of an open line and event across feeds, comments excluded.
    maxBufferSize: maxEventBytes,
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
    onEvent: ({ event, data, id }) => {
      // The buffer check sees only what spans chunks; an event that came whole in one is checked here.
      if (data.length > maxEventBytes) overflow = true;
      else pending.push({ event, data, id });
    },
  });
  let ended = false;
  try {
    while (!ended) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        // Two line breaks complete whatever event is still open; an empty one dispatches nothing.
        parser.feed(`${decoder.decode()}\n\n`);
      } else {
        parser.feed(decoder.decode(value, { stream: true }));
      }
      const events = pending;
      pending = [];
      for (const event of events) yield event;
      if (overflow) throw responseTooLarge(options.provider ?? 'server', maxEventBytes, 'maxEventBytes');
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => {});
  }
}
