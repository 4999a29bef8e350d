/**
 * `@mlkit/core/protocols` — the wire formats mlkit speaks, each both directions (task input to
 * request, response to task output, and back): what the client providers and `@mlkit/server`
 * share, for a server or tool of your own. An entry of its own, so that an app's first load never
 * carries the mappings of APIs it does not call.
 *
 * @example
 * import { openaiWire } from '@mlkit/core/protocols';
 * const body = openaiWire.ChatCompletionRequest.parse(await request.json());
 *
 * @module @mlkit/core/protocols
 */
/** The Open Inference Protocol v2 wire format, both directions (the `oip:` client and `@mlkit/server` share it). */
export * as oipWire from './oip-v2/index.ts';
/** The OpenAI wire format, both directions (what the client provider and `@mlkit/server` share). */
export * as openaiWire from './openai/index.ts';
/** The JSON `/predict` wire format, both directions (the `predict:` client and `@mlkit/server` share it). */
export * as predictWire from './predict/index.ts';
/** TF Serving's REST wire format, both directions (row and columnar predict, `{b64}`, NaN tokens). */
export * as tfServingWire from './tf-serving/index.ts';
