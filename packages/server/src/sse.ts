const encoder = new TextEncoder();

/**
 * A `text/event-stream` response of `data:` events, pulled one at a time so a slow client slows
 * the model instead of filling memory. `onClose` runs once: at the end, on error, or when the
 * client goes away (the body is cancelled).
 */
export function sseResponse(events: AsyncIterable<string>, onClose: () => void): Response {
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
          controller.enqueue(encoder.encode(`data: ${value}\n\n`));
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
