const encoder = new TextEncoder();

/** A named event (`event: <name>` before its `data:`), as the Responses API streams them. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * A `text/event-stream` response of `data:` events (named ones too), pulled one at a time so a slow client slows
 * the model instead of filling memory. `onClose` runs once: at the end, on error, or when the
 * client goes away (the body is cancelled).
 */
export function sseResponse(events: AsyncIterable<string | SseEvent>, onClose: () => void): Response {
  const iterator = events[Symbol.asyncIterator]();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) {
          controller.close();
          close();
        } else {
          controller.enqueue(
            encoder.encode(
              typeof value === 'string'
                ? `data: ${value}\n\n`
                : `event: ${value.event}\ndata: ${value.data}\n\n`,
            ),
          );
        }
      } catch (error) {
        controller.error(error);
        close();
      }
    },
    async cancel() {
      close();
      await iterator.return?.();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // Proxies such as nginx buffer responses unless told not to; buffered events arrive all at once.
      'X-Accel-Buffering': 'no',
    },
  });
}
