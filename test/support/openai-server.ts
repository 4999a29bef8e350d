/**
 * A real OpenAI-compatible HTTP server on 127.0.0.1 (node:http, port 0) for end-to-end tests,
 * examples and benchmarks. Its model is deterministic: the reply echoes the last user message word
 * by word and ends in multi-byte UTF-8; embeddings are derived from a hash of each text.
 * Faults (status codes with Retry-After, connection resets, stalls, resets and stalls mid-stream,
 * errors inside a stream) are injected per request, scripted or at random.
 *
 * @example
 * const server = await startOpenAIServer({ fault: scriptedFaults([{ kind: 'status', status: 503 }]) });
 * const vllm = createOpenAICompatible({ name: 'test', baseURL: server.url });
 * await server.close();
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does instead of (or in the middle of) a normal answer. */
export type Fault =
  /** Answer with this status and an OpenAI error body; `retryAfterMs` sends `retry-after-ms`, `retryAfter` sends `Retry-After`. */
  | { kind: 'status'; status: number; retryAfterMs?: number; retryAfter?: string; body?: unknown }
  /** Destroy the socket before any byte of the response. */
  | { kind: 'reset' }
  /** Never answer (the client's timeout must end the request). */
  | { kind: 'stall' }
  /** Send headers and `afterChunks` content chunks (streams) or half the body (JSON), then destroy the socket. */
  | { kind: 'reset-mid-stream'; afterChunks?: number }
  /** Send headers and `afterChunks` content chunks (streams) or half the body (JSON), then go silent. */
  | { kind: 'stall-mid-stream'; afterChunks?: number }
  /** Streams: after `afterChunks` content chunks send `data: {"error": ...}` (or `event: error` with `asEvent`) and end. */
  | { kind: 'error-in-stream'; afterChunks?: number; asEvent?: boolean; body?: unknown }
  /** Streams: after `afterChunks` content chunks end the body cleanly, without finish_reason or [DONE]. */
  | { kind: 'end-early'; afterChunks?: number };
export type FaultKind = Fault['kind'];

/** The request a fault is chosen for. */
export interface FaultRequest {
  /** 0-based number of the request since the server started. */
  index: number;
  method: string;
  /** Path without the `/v1` prefix, e.g. '/chat/completions'. */
  path: string;
  /** The request asks for a stream. */
  stream: boolean;
  /** 1 for the first attempt of a logical call (by `x-request-id`, else `idempotency-key`), 2 for its first retry, ... */
  attempt: number;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface OpenAIServerOptions {
  /** Choose a fault for each request; undefined for a normal answer. See scriptedFaults() and randomFaults(). */
  fault?: (request: FaultRequest) => Fault | undefined;
  /** Pause between streamed chunks, in ms. Default 0 (all chunks written at once). */
  chunkDelayMs?: number;
  /** Answer embeddings with number arrays even when base64 is asked, as some servers do. */
  ignoreEncodingFormat?: boolean;
  /** Require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Model ids listed by GET /v1/models. */
  models?: string[];
  /** Embedding length when the request does not ask for `dimensions`. Default 8. */
  embeddingDimensions?: number;
}

export interface OpenAIServerStats {
  /** HTTP requests received. */
  requests: number;
  /** Requests by path without `/v1`, e.g. `{ '/chat/completions': 3 }`. */
  byPath: Record<string, number>;
  /** Attempts per logical call, keyed by `x-request-id` or else `idempotency-key`. */
  attempts: Map<string, number>;
  /** Faults injected, by kind. */
  faults: Partial<Record<FaultKind, number>>;
  /** Responses the client closed before the server had finished them (aborts, timeouts, early exits). */
  clientClosed: number;
  /** Headers and JSON body of the most recent request. */
  last: { path: string; headers: IncomingHttpHeaders; body: any } | undefined;
}

export interface OpenAIServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:40123/v1`. */
  url: string;
  stats: OpenAIServerStats;
  /** Close every connection (stalled ones too) and stop listening. */
  close(): Promise<void>;
}

/** Apply `faults[i]` to request number i (counting every request, retries included); afterwards none. */
export function scriptedFaults(
  faults: readonly (Fault | undefined)[],
): (request: FaultRequest) => Fault | undefined {
  return (request) => faults[request.index];
}

/** A seeded pseudo-random number generator (mulberry32): the same seed, the same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rates of each fault per request (0-1, summing to at most 1). */
export interface RandomFaultRates {
  rateLimit?: number;
  serverError?: number;
  unavailable?: number;
  reset?: number;
  stall?: number;
  resetMidStream?: number;
  stallMidStream?: number;
  errorInStream?: number;
}

/**
 * Faults at random: 429 with a `retry-after-ms` of 0 to `maxRetryAfterMs` (default 20), 500, 503 with
 * `Retry-After: 0`, resets and stalls (before the answer or after the first chunk), errors in streams.
 */
export function randomFaults(
  rates: RandomFaultRates,
  options: { seed?: number; maxRetryAfterMs?: number } = {},
): (request: FaultRequest) => Fault | undefined {
  const random = seededRandom(options.seed ?? 1);
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 20;
  const table: [number | undefined, () => Fault][] = [
    [
      rates.rateLimit,
      () => ({ kind: 'status', status: 429, retryAfterMs: Math.floor(random() * (maxRetryAfterMs + 1)) }),
    ],
    [rates.serverError, () => ({ kind: 'status', status: 500 })],
    [rates.unavailable, () => ({ kind: 'status', status: 503, retryAfter: '0' })],
    [rates.reset, () => ({ kind: 'reset' })],
    [rates.stall, () => ({ kind: 'stall' })],
    [rates.resetMidStream, () => ({ kind: 'reset-mid-stream', afterChunks: 1 })],
    [rates.stallMidStream, () => ({ kind: 'stall-mid-stream', afterChunks: 1 })],
    [rates.errorInStream, () => ({ kind: 'error-in-stream', afterChunks: 1 })],
  ];
  return () => {
    let roll = random();
    for (const [rate = 0, make] of table) {
      if (roll < rate) return make();
      roll -= rate;
    }
    return undefined;
  };
}

const TAIL = ['—', 'naïve', 'café', '日本語', '🚀'];

/**
 * The deterministic reply to a last user message: its words echoed, then a multi-byte tail, as
 * pieces (one per streamed chunk and per output token). `maxTokens` cuts it with finish 'length'.
 */
export function echoReply(
  lastUserMessage: string,
  maxTokens?: number,
): { pieces: string[]; text: string; finishReason: 'stop' | 'length' } {
  const words = ['Echo:', ...lastUserMessage.split(/\s+/).filter(Boolean), ...TAIL];
  const all = words.map((word, i) => (i < words.length - 1 ? `${word} ` : word));
  const pieces = maxTokens !== undefined && maxTokens < all.length ? all.slice(0, maxTokens) : all;
  return { pieces, text: pieces.join(''), finishReason: pieces.length < all.length ? 'length' : 'stop' };
}

/** A deterministic value matching a JSON Schema (first enum value, "echo" strings, every property): the loopback answer to tools and json_schema. */
export function sampleOf(schema: any): unknown {
  if (schema?.const !== undefined) return schema.const;
  if (Array.isArray(schema?.enum)) return schema.enum[0];
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if (type === 'string') return 'echo';
  if (type === 'number' || type === 'integer') return 1;
  if (type === 'boolean') return true;
  if (type === 'array') return [];
  if (type === 'null') return null;
  const properties: Record<string, unknown> = schema?.properties ?? {};
  return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, sampleOf(value)]));
}

/** A message's text: its string content, or its text parts joined (tool-call turns have none). */
const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((part) => (part?.type === 'text' ? part.text : '')).join(' ')
      : '';

/** Whitespace-separated words: the server's stand-in for a token count. */
export function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** The deterministic embedding of `text`: `dimensions` float32 values in [-1, 1) from an FNV-1a hash. */
export function embeddingFor(text: string, dimensions = 8): Float32Array {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  const random = seededRandom(hash);
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) vector[i] = random() * 2 - 1;
  return vector;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A 200 JSON answer; a mid-stream fault sends half of it, then resets the socket or goes silent. */
function sendReply(res: ServerResponse, text: string, fault: Fault | undefined): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  if (fault?.kind !== 'reset-mid-stream' && fault?.kind !== 'stall-mid-stream') return void res.end(text);
  res.write(text.slice(0, text.length >> 1));
  if (fault.kind === 'reset-mid-stream') setImmediate(() => res.socket?.destroy());
}

function errorBody(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Start the server on 127.0.0.1 and a free port. */
export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const stats: OpenAIServerStats = {
    requests: 0,
    byPath: {},
    attempts: new Map(),
    faults: {},
    clientClosed: 0,
    last: undefined,
  };
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const models = options.models ?? ['echo-1', 'embed-1'];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const index = stats.requests++;
    res.on('close', () => {
      if (!res.writableFinished) stats.clientClosed++;
    });
    const path = (req.url ?? '/').replace(/\?.*$/, '').replace(/^\/v1/, '');
    stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
    const text = await readBody(req);
    let body: any;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, errorBody('The body is not valid JSON', 'invalid_request_error'));
      }
    }
    stats.last = { path, headers: req.headers, body };
    const key = (req.headers['x-request-id'] ?? req.headers['idempotency-key']) as string | undefined;
    const attempt = key ? (stats.attempts.get(key) ?? 0) + 1 : 1;
    if (key) stats.attempts.set(key, attempt);

    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(
        res,
        401,
        errorBody('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key'),
      );
    }
    const stream = body?.stream === true;
    const fault = options.fault?.({
      index,
      method: req.method ?? 'GET',
      path,
      stream,
      attempt,
      headers: req.headers,
      body,
    });
    if (fault) stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      const type =
        fault.status === 429
          ? 'rate_limit_error'
          : fault.status >= 500
            ? 'server_error'
            : 'invalid_request_error';
      return sendJson(
        res,
        fault.status,
        fault.body ?? errorBody(`Injected HTTP ${fault.status}`, type),
        headers,
      );
    }
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'stall') return;

    if (req.method === 'GET' && path === '/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'mlkit-test' })),
      });
    }
    if (req.method === 'POST' && path === '/chat/completions') return chat(res, body, fault);
    if (req.method === 'POST' && path === '/embeddings') return embeddings(res, body, fault);
    return sendJson(res, 404, errorBody(`No route ${req.method} ${req.url}`, 'not_found_error'));
  }

  async function chat(res: ServerResponse, body: any, fault: Fault | undefined): Promise<void> {
    const messages: { role: string; content: unknown }[] = Array.isArray(body?.messages) ? body.messages : [];
    if (messages.length === 0) {
      return sendJson(res, 400, errorBody('messages must be a non-empty array', 'invalid_request_error'));
    }
    const lastUser = textOf(messages.findLast((message) => message.role === 'user')?.content);
    const maxTokens = body.max_tokens ?? body.max_completion_tokens;
    // Tools (unless tool_choice is 'none'): one call of the chosen (or first) tool, arguments sampled from its schema.
    const tools: any[] = Array.isArray(body.tools) ? body.tools : [];
    const chosen = body.tool_choice?.function?.name;
    const tool =
      body.tool_choice === 'none'
        ? undefined
        : (tools.find((each) => each.function?.name === chosen) ?? tools[0]);
    const toolCall = tool && {
      id: 'call_echo_0',
      type: 'function',
      function: { name: tool.function.name, arguments: JSON.stringify(sampleOf(tool.function.parameters)) },
    };
    // json_schema / json_object: a document sampled from the schema, in pieces of 8 characters.
    const format = body.response_format?.type;
    const json =
      format === 'json_schema'
        ? JSON.stringify(sampleOf(body.response_format.json_schema?.schema))
        : format === 'json_object'
          ? JSON.stringify({ echo: lastUser })
          : undefined;
    const reply = toolCall
      ? { pieces: [] as string[], text: '', finishReason: 'tool_calls' }
      : json !== undefined
        ? { pieces: json.match(/.{1,8}/gsu) ?? [], text: json, finishReason: 'stop' }
        : echoReply(lastUser, maxTokens);
    const promptTokens = messages.reduce((sum, message) => sum + countTokens(textOf(message.content)), 0);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: reply.pieces.length,
      total_tokens: promptTokens + reply.pieces.length,
    };
    const base = { id: 'chatcmpl-test', created: 1_700_000_000, model: body.model };

    if (!body.stream) {
      const text = JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: toolCall
              ? { role: 'assistant', content: null, tool_calls: [toolCall] }
              : { role: 'assistant', content: reply.text },
            finish_reason: reply.finishReason,
          },
        ],
        usage,
      });
      return sendReply(res, text, fault);
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
    const chunk = (delta: object, finishReason: string | null) =>
      event({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      });
    const send = async (data: string) => {
      if (res.destroyed) return false;
      if (chunkDelayMs > 0) await sleep(chunkDelayMs);
      if (res.destroyed) return false;
      res.write(data);
      return true;
    };

    const afterChunks =
      fault && fault.kind !== 'status' && fault.kind !== 'reset' && fault.kind !== 'stall'
        ? (fault.afterChunks ?? 1)
        : Number.POSITIVE_INFINITY;
    if (!(await send(chunk({ role: 'assistant', content: '' }, null)))) return;
    if (toolCall) {
      // As OpenAI streams a call: index, id, type and name with empty arguments, then the arguments in two pieces.
      const args: string = toolCall.function.arguments;
      const half = args.length >> 1;
      const header = { ...toolCall, index: 0, function: { name: toolCall.function.name, arguments: '' } };
      if (!(await send(chunk({ tool_calls: [header] }, null)))) return;
      for (const piece of [args.slice(0, half), args.slice(half)]) {
        if (!(await send(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null))))
          return;
      }
    }
    for (let i = 0; i < reply.pieces.length; i++) {
      if (i === afterChunks) break;
      if (!(await send(chunk({ content: reply.pieces[i] }, null)))) return;
    }
    if (fault?.kind === 'reset-mid-stream') return void setImmediate(() => res.socket?.destroy());
    if (fault?.kind === 'stall-mid-stream') return;
    if (fault?.kind === 'end-early') return void res.end();
    if (fault?.kind === 'error-in-stream') {
      const error = fault.body ?? errorBody('Injected error inside the stream', 'server_error');
      if (fault.asEvent) res.end(`event: error\ndata: ${JSON.stringify(error)}\n\n`);
      else res.end(event(error));
      return;
    }
    if (!(await send(chunk({}, reply.finishReason)))) return;
    if (body.stream_options?.include_usage) {
      if (!(await send(event({ ...base, object: 'chat.completion.chunk', choices: [], usage })))) return;
    }
    if (!(await send('data: [DONE]\n\n'))) return;
    res.end();
  }

  function embeddings(res: ServerResponse, body: any, fault: Fault | undefined): void {
    const input: unknown = body?.input;
    const texts = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((text) => typeof text !== 'string')) {
      sendJson(
        res,
        400,
        errorBody('input must be a string or a non-empty array of strings', 'invalid_request_error'),
      );
      return;
    }
    const dimensions = body.dimensions ?? options.embeddingDimensions ?? 8;
    const base64 = body.encoding_format === 'base64' && !options.ignoreEncodingFormat;
    const promptTokens = texts.reduce((sum: number, text: string) => sum + countTokens(text), 0);
    const text = JSON.stringify({
      object: 'list',
      model: body.model,
      data: texts.map((text: string, index: number) => {
        const vector = embeddingFor(text, dimensions);
        return {
          object: 'embedding',
          index,
          embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
        };
      }),
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
    sendReply(res, text, fault);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, errorBody(`Test server failed: ${String(error)}`, 'server_error'));
      else res.destroy();
    });
  });
  // Keep-alive connections stay open between requests, as real servers do; close() ends them.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
