/**
 * @mlkit/server — serve any mlkit Model over HTTP: OpenAI-compatible, Open Inference Protocol v2,
 * `/predict` and Prometheus `/metrics`, as a web-standard fetch handler. The Node listener is
 * `@mlkit/server/node`.
 *
 * @module @mlkit/server
 */

export type { Cors } from './cors.ts';
export { HttpError } from './errors.ts';
export type { MediaUrls } from './media-urls.ts';
export type { Batching, Limits, Logger, ServerEvent, ServerOptions } from './options.ts';
export { type CloseOptions, createServer, type MlkitServer } from './server.ts';
