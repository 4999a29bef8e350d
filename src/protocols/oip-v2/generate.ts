/**
 * Text generation over OIP v2: the generate extension (`POST /v2/models/{m}/generate` and
 * `/generate_stream`, Triton's `{text_input, parameters}` -> `{text_output, model_name}`), and the
 * same convention as infer tensors (`text_input` BYTES [1] in, `text_output` BYTES [1] out).
 * https://github.com/triton-inference-server/server/blob/main/docs/protocol/extension_generate.md
 */
import { ResponseValidationError, ServerError, UnsupportedError } from '../../errors.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import type {
  FinishReason,
  TextGenerationChunk,
  TextGenerationInput,
  TextGenerationTask,
} from '../../tasks/text-generation.ts';
import type { TaskMapping } from '../types.ts';
import { onlyInput, textsOf } from './classification.ts';
import type { InferContext } from './context.ts';
import type { TensorRequest, TensorResponse } from './message.ts';
import { ErrorBody, type GenerateRequest, GenerateResponse } from './schemas.ts';
import { invalid } from './tensors.ts';

/** Sampling parameters on the wire and their names in the task input. */
const PARAMETERS = {
  max_tokens: 'maxTokens',
  temperature: 'temperature',
  top_p: 'topP',
  top_k: 'topK',
  seed: 'seed',
  stop: 'stop',
} as const;

type Input = ParsedInputOf<TextGenerationTask>;

/**
 * Refuse what `text_input` and its parameters cannot carry (tools, a json response format, images),
 * naming the field, before any request: dropping it would answer another question than the one asked.
 */
function refuseUncarried(input: Input): void {
  if (input.tools !== undefined && input.tools.length > 0) {
    throw new UnsupportedError(
      'OIP v2 generation (text_input) cannot carry tools; leave tools out, or call the model over an OpenAI-compatible endpoint (capabilities.tools)',
      { param: 'tools' },
    );
  }
  if (input.responseFormat?.type === 'json') {
    throw new UnsupportedError(
      'OIP v2 generation (text_input) cannot carry a json responseFormat; leave it out, or call the model over an OpenAI-compatible endpoint (capabilities.jsonSchema)',
      { param: 'responseFormat' },
    );
  }
  if ('prompt' in input) return;
  for (const [index, message] of input.messages.entries()) {
    if (message.role !== 'user' || typeof message.content === 'string') continue;
    const image = message.content.findIndex((part) => part.type === 'image');
    if (image >= 0) {
      throw new UnsupportedError(
        'OIP v2 generation (text_input) takes text only, not images; leave the image part out, or call a model whose capabilities say images: true',
        { param: `messages[${index}].content[${image}]` },
      );
    }
  }
}

/** The one prompt the wire carries: a prompt, or a conversation of a single user turn (text, or text parts). */
function promptOf(input: Input): string {
  refuseUncarried(input);
  if ('prompt' in input) return input.prompt;
  const [only, ...rest] = input.messages;
  if (rest.length > 0 || only!.role !== 'user') {
    throw new UnsupportedError(
      'OIP v2 generation takes one prompt (text_input); send { prompt } or a single user message, or apply the chat template yourself',
    );
  }
  const content = only!.content;
  if (typeof content === 'string') return content;
  // Only text parts are left (refuseUncarried refused images): one prompt, a line per part.
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function parametersOf(input: Input): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [wire, field] of Object.entries(PARAMETERS)) {
    const value = input[field];
    if (value !== undefined) out[wire] = value;
  }
  if (input.frequencyPenalty !== undefined || input.presencePenalty !== undefined || input.logitBias) {
    throw new UnsupportedError(
      'OIP v2 generation has no frequencyPenalty, presencePenalty or logitBias; leave them out',
    );
  }
  return out;
}

function inputOf(prompt: string, parameters: Record<string, unknown> | undefined): TextGenerationInput {
  const sampling: Record<string, unknown> = {};
  for (const [wire, value] of Object.entries(parameters ?? {})) {
    const field = PARAMETERS[wire as keyof typeof PARAMETERS];
    if (field) sampling[field] = value;
  }
  return { prompt, ...sampling };
}

const FINISH_REASONS = new Set<string>(['stop', 'length', 'content-filter', 'error', 'other']);

function finishReasonOf(value: unknown): FinishReason {
  return typeof value === 'string' && FINISH_REASONS.has(value) ? (value as FinishReason) : 'stop';
}

/** The generate extension: one prompt, one text. */
export const generateMapping: TaskMapping<
  TextGenerationTask,
  GenerateRequest,
  GenerateResponse,
  InferContext
> = {
  encodeRequest: (input) => {
    const parameters = parametersOf(input);
    return { text_input: promptOf(input), ...(Object.keys(parameters).length > 0 && { parameters }) };
  },
  decodeRequest: (body) => inputOf(body.text_input, body.parameters),
  encodeResponse: (output, context) => ({
    model_name: context.modelName,
    text_output: output.text,
    finish_reason: output.finishReason,
  }),
  decodeResponse: (body) => ({
    text: body.text_output,
    finishReason: finishReasonOf(body.finish_reason),
    usage: {},
  }),
};

/** Server: one `generate_stream` event per chunk (a text delta; the last one says `finish_reason`). */
export function encodeGenerateChunk(chunk: TextGenerationChunk, context: InferContext): GenerateResponse {
  if (chunk.type === 'finish')
    return { model_name: context.modelName, text_output: '', finish_reason: chunk.finishReason };
  return { model_name: context.modelName, text_output: chunk.type === 'text-delta' ? chunk.text : '' };
}

/**
 * Client: one `generate_stream` event's data as chunks (a text delta, and a finish when it says
 * `finish_reason`); an `{error}` event is a ServerError.
 */
export function decodeGenerateEvent(data: unknown, provider: string): TextGenerationChunk[] {
  const error = ErrorBody.safeParse(data);
  if (error.success) {
    throw new ServerError(`${provider} sent an error inside the stream: ${error.data.error}`, { provider });
  }
  const parsed = GenerateResponse.safeParse(data);
  if (!parsed.success) {
    throw new ResponseValidationError(
      `${provider} sent a generate_stream event without text_output: ${JSON.stringify(data).slice(0, 200)}`,
      { provider },
    );
  }
  const event = parsed.data;
  const chunks: TextGenerationChunk[] = [];
  if (event.text_output !== '') chunks.push({ type: 'text-delta', text: event.text_output });
  const reason = event.finish_reason;
  if (reason !== undefined && reason !== null)
    chunks.push({ type: 'finish', finishReason: finishReasonOf(reason), usage: {} });
  return chunks;
}

/** Text generation as infer tensors: `text_input` BYTES [1] in, `text_output` BYTES [1] out, sampling in `parameters`. */
export const textGenerationMapping: TaskMapping<
  TextGenerationTask,
  TensorRequest,
  TensorResponse,
  InferContext
> = {
  encodeRequest: (input) => {
    const parameters = parametersOf(input);
    return {
      inputs: [{ name: 'text_input', tensor: { dtype: 'string', shape: [1], data: [promptOf(input)] } }],
      ...(Object.keys(parameters).length > 0 && { parameters }),
    };
  },
  decodeRequest(body) {
    const prompts = textsOf(onlyInput(body, 'text-generation models'), 'text-generation models');
    if (prompts.length !== 1)
      throw invalid('body.inputs[0].data', `expected one prompt (got ${prompts.length})`);
    return inputOf(prompts[0]!, body.parameters);
  },
  encodeResponse: (output) => ({
    outputs: [{ name: 'text_output', tensor: { dtype: 'string', shape: [1], data: [output.text] } }],
  }),
  decodeResponse(body, context) {
    const output = body.outputs.find((o) => o.name === 'text_output') ?? body.outputs[0];
    if (output?.tensor.dtype !== 'string' || output.tensor.data.length !== 1) {
      throw new ResponseValidationError(
        `Model "${context.modelName}" answered without a text_output BYTES [1] output`,
      );
    }
    return { text: output.tensor.data[0]!, finishReason: 'stop', usage: {} };
  },
};
