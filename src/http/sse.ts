import { createParser } from 'eventsource-parser';
import type { SseEvent } from './types.ts';

/**
 * Read a `text/event-stream` body as events. UTF-8 is decoded as a stream (a character split
 * across chunks stays whole); comments are skipped; a final event that lacks its blank line is
 * still dispatched at the end of the body (openai-node lost it, #2725). Leaving the loop early
 * cancels the body, which closes the connection.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending: SseEvent[] = [];
  const parser = createParser({
    onEvent: ({ event, data, id }) => {
      pending.push({ event, data, id });
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
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => {});
  }
}
