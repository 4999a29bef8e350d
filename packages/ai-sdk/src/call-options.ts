// The AI SDK's call options (LanguageModelV4CallOptions) as an mlkit text-generation input and run
// options, and back. Settings one side cannot honour are warnings (AI SDK side) or errors (mlkit side).
import type {
  JSONObject,
  LanguageModelV4CallOptions,
  LanguageModelV4FunctionTool,
  LanguageModelV4ToolChoice,
  SharedV4Warning,
} from '@ai-sdk/provider';
import {
  type ParsedInputOf,
  type RunOptions,
  type TextGenerationInput,
  type TextGenerationTask,
  type ToolChoice,
  toJsonSchema,
  UnsupportedError,
} from '@mlkit/core';
import { messagesFromPrompt, promptFromMessages } from './prompt.ts';

/** What `providerOptions.mlkit` may set: the mlkit settings the AI SDK has no option for. */
export interface MlkitProviderOptions {
  /** Whether the model may call several tools in one turn. */
  parallelToolCalls?: boolean;
  /** Added to the logit of each token id (OpenAI's logit_bias). */
  logitBias?: Record<string, number>;
  /** Deadline for the whole call, in milliseconds (mlkit's `timeoutMs`). */
  timeoutMs?: number;
}

function toolChoiceOf(choice: LanguageModelV4ToolChoice): ToolChoice {
  return choice.type === 'tool' ? { tool: choice.toolName } : choice.type;
}

/** The headers the caller set (the AI SDK passes undefined for unset ones). */
export function definedHeaders(
  headers: Record<string, string | undefined> | undefined,
): Record<string, string> | undefined {
  if (!headers) return undefined;
  const entries = Object.entries(headers).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** The AI SDK call as an mlkit input and run options, with a warning for every setting left out. */
export function mlkitCallOf(options: LanguageModelV4CallOptions): {
  input: TextGenerationInput;
  runOptions: RunOptions;
  warnings: SharedV4Warning[];
} {
  const warnings: SharedV4Warning[] = [];
  const warn = (warning: SharedV4Warning) => warnings.push(warning);
  const input: Record<string, unknown> = { messages: messagesFromPrompt(options.prompt, warn) };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) input[key] = value;
  };
  set('maxTokens', options.maxOutputTokens);
  set('temperature', options.temperature);
  set('topP', options.topP);
  set('topK', options.topK);
  set('seed', options.seed);
  set('presencePenalty', options.presencePenalty);
  set('frequencyPenalty', options.frequencyPenalty);
  if (options.stopSequences && options.stopSequences.length > 0) set('stop', options.stopSequences);

  const tools: LanguageModelV4FunctionTool[] = [];
  for (const tool of options.tools ?? []) {
    if (tool.type === 'function') tools.push(tool);
    else
      warn({
        type: 'unsupported',
        feature: `provider tool ${tool.id}`,
        details: 'mlkit models call function tools only; it was left out',
      });
  }
  for (const tool of tools) {
    if (tool.inputExamples?.length)
      warn({ type: 'unsupported', feature: `inputExamples of tool ${tool.name}` });
  }
  if (tools.length > 0) {
    set(
      'tools',
      tools.map((tool) => ({
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.inputSchema,
      })),
    );
    if (options.toolChoice) set('toolChoice', toolChoiceOf(options.toolChoice));
  } else if (options.toolChoice && options.toolChoice.type !== 'auto' && options.toolChoice.type !== 'none') {
    warn({
      type: 'unsupported',
      feature: `toolChoice ${options.toolChoice.type}`,
      details: 'there are no function tools to choose from',
    });
  }

  const format = options.responseFormat;
  if (format?.type === 'json') {
    set('responseFormat', {
      type: 'json',
      ...(format.schema === undefined ? {} : { schema: format.schema }),
      ...(format.name === undefined ? {} : { name: format.name }),
      ...(format.description === undefined ? {} : { description: format.description }),
    });
  }
  if (options.reasoning !== undefined && options.reasoning !== 'provider-default') {
    warn({
      type: 'unsupported',
      feature: 'reasoning',
      details: `mlkit models take no reasoning effort (got "${options.reasoning}")`,
    });
  }

  const mlkit = (options.providerOptions?.mlkit ?? {}) as MlkitProviderOptions;
  set('parallelToolCalls', mlkit.parallelToolCalls);
  set('logitBias', mlkit.logitBias);

  const runOptions: RunOptions = {};
  if (options.abortSignal) runOptions.signal = options.abortSignal;
  const headers = definedHeaders(options.headers);
  if (headers) runOptions.headers = headers;
  if (mlkit.timeoutMs !== undefined) runOptions.timeoutMs = mlkit.timeoutMs;
  return { input: input as TextGenerationInput, runOptions, warnings };
}

/** Settings an AI SDK model call has no option for: an error, so nothing is silently ignored. */
function refuse(param: string, providerId: string): never {
  throw new UnsupportedError(
    `${param} cannot be passed to the AI SDK model ${providerId}; leave it out or set it in toMlkit's providerOptions for that provider`,
    { param },
  );
}

/** An mlkit input (validated) as the AI SDK's call options. */
export function aiSdkCallOf(
  input: ParsedInputOf<TextGenerationTask>,
  runOptions: { signal: AbortSignal; headers?: Record<string, string> | undefined },
  modelId: string,
  providerOptions: Record<string, JSONObject> | undefined,
): LanguageModelV4CallOptions {
  const messages = 'messages' in input ? input.messages : [{ role: 'user' as const, content: input.prompt }];
  if (input.logitBias !== undefined) refuse('logitBias', modelId);
  if (input.parallelToolCalls !== undefined) refuse('parallelToolCalls', modelId);
  const call: LanguageModelV4CallOptions = {
    prompt: promptFromMessages(messages),
    abortSignal: runOptions.signal,
  };
  if (input.maxTokens !== undefined) call.maxOutputTokens = input.maxTokens;
  if (input.temperature !== undefined) call.temperature = input.temperature;
  if (input.topP !== undefined) call.topP = input.topP;
  if (input.topK !== undefined) call.topK = input.topK;
  if (input.seed !== undefined) call.seed = input.seed;
  if (input.presencePenalty !== undefined) call.presencePenalty = input.presencePenalty;
  if (input.frequencyPenalty !== undefined) call.frequencyPenalty = input.frequencyPenalty;
  if (input.stop !== undefined)
    call.stopSequences = typeof input.stop === 'string' ? [input.stop] : input.stop;
  if (input.tools && input.tools.length > 0) {
    call.tools = input.tools.map((tool) => ({
      type: 'function',
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      inputSchema: toJsonSchema(tool.parameters),
    }));
  }
  const choice = input.toolChoice;
  if (choice !== undefined)
    call.toolChoice = typeof choice === 'string' ? { type: choice } : { type: 'tool', toolName: choice.tool };
  const format = input.responseFormat;
  if (format?.type === 'json') {
    call.responseFormat = {
      type: 'json',
      ...(format.schema === undefined ? {} : { schema: toJsonSchema(format.schema) }),
      ...(format.name === undefined ? {} : { name: format.name }),
      ...(format.description === undefined ? {} : { description: format.description }),
    };
  }
  if (runOptions.headers) call.headers = runOptions.headers;
  if (providerOptions) call.providerOptions = providerOptions;
  return call;
}
