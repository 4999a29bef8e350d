/** @mlkit/core/http — the transport every remote provider uses; exported for third-party providers. */
export type { RequestOptions, SseEvent, StreamRequestOptions, Transport, TransportOptions } from './types.ts';
