/**
 * The OpenTelemetry GenAI semantic conventions (gen_ai.* attributes and metrics, development status)
 * as mlkit fills them: what a call's input, output and model id say, named exactly as the conventions
 * name them. Attributes the conventions do not define are under `mlkit.*`.
 */
import type { Attributes } from '@opentelemetry/api';

/** The instrument names, units and bucket boundaries the conventions give. */
export const METRICS = {
  duration: { name: 'gen_ai.client.operation.duration', unit: 's', description: 'GenAI operation duration.' },
  tokens: {
    name: 'gen_ai.client.token.usage',
    unit: '{token}',
    description: 'Number of input and output tokens used.',
  },
  timeToFirstChunk: {
    name: 'gen_ai.client.operation.time_to_first_chunk',
    unit: 's',
    description: 'Time to receive the first chunk of a streamed response.',
  },
  timePerOutputChunk: {
    name: 'gen_ai.client.operation.time_per_output_chunk',
    unit: 's',
    description: 'Time per output chunk after the first one of a streamed response.',
  },
} as const;

/** Bucket boundaries for the durations (seconds) and token counts, as the conventions advise. */
export const SECONDS_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** Composites of one model: their id is `<helper>:<member id>`, and the member names the provider. */
const SINGLE_MEMBER_WRAPPERS = new Set(['cache', 'limit', 'meter', 'wrap', 'shadow']);

/** What a model id says about the call, before it is made. */
export interface CallDescription {
  /** `gen_ai.operation.name`: 'chat', 'embeddings', or the task's name for tasks the conventions lack. */
  operationName: string;
  /** `gen_ai.provider.name`: the id's scheme ('openai', 'onnx', 'vllm', 'fallback', ...). */
  providerName: string;
  /** `gen_ai.request.model`: the id after the scheme ('gpt-4o-mini', a folder's name). */
  requestModel: string;
}

/**
 * The operation, provider and model of a call on `modelId` doing `task`. A single-member composite
 * (`meter:openai:gpt-4o-mini`) is described by its member (`openai`, `gpt-4o-mini`).
 */
export function describeCall(modelId: string, task: string): CallDescription {
  return { operationName: operationOf(task), ...providerAndModel(modelId) };
}

/** `gen_ai.operation.name` of a task: the conventions' well-known values where one applies. */
export function operationOf(task: string): string {
  if (task === 'text-generation') return 'chat';
  if (task === 'embedding') return 'embeddings';
  return task;
}

/** Provider and model of an id: `scheme:model`, single-member composites peeled off. */
export function providerAndModel(modelId: string): { providerName: string; requestModel: string } {
  let rest = modelId;
  for (;;) {
    const colon = rest.indexOf(':');
    if (colon <= 0) return { providerName: 'mlkit', requestModel: rest };
    const scheme = rest.slice(0, colon);
    if (!SINGLE_MEMBER_WRAPPERS.has(scheme) || !rest.slice(colon + 1).includes(':')) {
      return { providerName: scheme, requestModel: rest.slice(colon + 1) };
    }
    rest = rest.slice(colon + 1);
  }
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The `gen_ai.request.*` attributes of a call's input (the caller's, not yet validated: read with care). */
export function requestAttributes(input: unknown): Attributes {
  if (typeof input !== 'object' || input === null) return {};
  const fields = input as Record<string, unknown>;
  const attributes: Attributes = {};
  const numeric: [field: string, attribute: string][] = [
    ['maxTokens', 'gen_ai.request.max_tokens'],
    ['temperature', 'gen_ai.request.temperature'],
    ['topP', 'gen_ai.request.top_p'],
    ['topK', 'gen_ai.request.top_k'],
    ['seed', 'gen_ai.request.seed'],
    ['frequencyPenalty', 'gen_ai.request.frequency_penalty'],
    ['presencePenalty', 'gen_ai.request.presence_penalty'],
    ['dimensions', 'gen_ai.embeddings.dimension.count'],
  ];
  for (const [field, attribute] of numeric) {
    if (isNumber(fields[field])) attributes[attribute] = fields[field];
  }
  const { stop, responseFormat } = fields;
  if (typeof stop === 'string') attributes['gen_ai.request.stop_sequences'] = [stop];
  else if (Array.isArray(stop) && stop.every((each) => typeof each === 'string')) {
    attributes['gen_ai.request.stop_sequences'] = stop;
  }
  const format = (responseFormat as { type?: unknown } | undefined)?.type;
  if (format === 'json' || format === 'text') attributes['gen_ai.output.type'] = format;
  return attributes;
}

/**
 * The `gen_ai.response.*` and `gen_ai.usage.*` attributes of a call's output or a stream's finish
 * chunk. Finish reasons are mlkit's (`stop`, `length`, `tool_calls`, `content_filter`, `error`,
 * `other`, dashes as underscores), the same whichever provider answered.
 */
export function responseAttributes(output: unknown): Attributes {
  if (typeof output !== 'object' || output === null) return {};
  const { finishReason, usage, dimensions } = output as {
    finishReason?: unknown;
    usage?: { inputTokens?: unknown; outputTokens?: unknown; costUsd?: unknown };
    dimensions?: unknown;
  };
  const attributes: Attributes = {};
  if (typeof finishReason === 'string') {
    attributes['gen_ai.response.finish_reasons'] = [finishReason.replaceAll('-', '_')];
  }
  if (isNumber(dimensions)) attributes['gen_ai.embeddings.dimension.count'] = dimensions;
  if (isNumber(usage?.inputTokens)) attributes['gen_ai.usage.input_tokens'] = usage.inputTokens;
  if (isNumber(usage?.outputTokens)) attributes['gen_ai.usage.output_tokens'] = usage.outputTokens;
  if (isNumber(usage?.costUsd)) attributes['mlkit.usage.cost_usd'] = usage.costUsd;
  return attributes;
}

/**
 * `error.type` of a failure: an mlkit error's `code` ('rate_limit', 'timeout', 'abort', ...), else
 * the error's class name, else `_OTHER` (the conventions' fallback value).
 */
export function errorType(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
  return '_OTHER';
}

/** `server.address` and `server.port` of a request URL (the default port of its scheme when none is written). */
export function serverAttributes(url: string): Attributes {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  return { 'server.address': parsed.hostname, 'server.port': port };
}
