import {
  type ChunkOf,
  type FinishReason,
  InvalidInputError,
  type JsonSchema,
  ModelLoadError,
  type ParsedInputOf,
  type TextGenerationChunk,
  type TextGenerationOutput,
  type TextGenerationTask,
  type ToolCall,
  textGeneration,
  throwIfAborted,
  toJsonSchema,
  UnsupportedError,
  type Usage,
} from '@mlkit/core';
import {
  type ChatRenderer,
  compileChatTemplate,
  type TemplateMessage,
  type TemplateTool,
  templateMessages,
  templateTools,
} from '../chat-template.ts';
import { idsOf, numberOf } from '../config-values.ts';
import {
  applyMask,
  type CompiledGrammar,
  compileGrammar,
  type Grammar,
  GrammarMatcher,
  type TokenVocabulary,
  vocabularyOf,
} from '../generation/constrained/index.ts';
import { ContinuousBatcher, type Lane } from '../generation/continuous.ts';
import { IncrementalDecoder, rememberingSingleTokens } from '../generation/detokenizer.ts';
import { argmax, LogitsProcessor, sample, seededRandom } from '../generation/sampling.ts';
import { StopScanner } from '../generation/stop.ts';
import {
  detectToolCallFormat,
  parseToolCalls,
  type ToolCallFormat,
  ToolCallScanner,
  templateTakesTools,
  toolCallFormats,
} from '../generation/tool-calls.ts';
import type { OrtTensor } from '../ort.ts';
import { describeValue, requireFeedableInputs } from '../session.ts';
import { discard, floatSlice } from '../tensors.ts';
import { loadTokenizer } from '../tokenizer.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

type Input = ParsedInputOf<TextGenerationTask>;
type Json = Record<string, unknown>;

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
/** The inputs besides the KV cache that the decoder loop feeds. */
const GENERATION_INPUTS = new Set([
  'input_ids',
  'attention_mask',
  'position_ids',
  'use_cache_branch',
  'num_logits_to_keep',
  'logits_to_keep',
]);

/** Most calls one turn may make when parallel tool calls are allowed (the grammar nests one group per call). */
const MAX_PARALLEL_CALLS = 4;

/**
 * How a required call is made: the trigger token forced first (then the calls' grammar), or the grammar
 * from the first token where the trigger is text (or the format has none).
 */
type RequiredCall = { forceToken: number } | { grammar: CompiledGrammar };

/** What constrains a call's output: a JSON document, tool calls, or nothing (free text). */
type OutputPlan =
  | { kind: 'text' }
  | { kind: 'json'; grammar: CompiledGrammar }
  | {
      kind: 'tools';
      format: ToolCallFormat;
      /** The calls after the trigger, of the tools the model may call once it started a call. */
      afterTrigger: CompiledGrammar;
      /** Set when the model must call a tool (toolChoice required or a named tool). */
      required: RequiredCall | undefined;
      /** The trigger's id where it is one token of the vocabulary. */
      triggerId: number | undefined;
    };

interface CacheSlot {
  input: string;
  output: string;
  type: string;
  heads: number;
  headDim: number;
}

/**
 * The `text-generation` task: a decoder loop over an Optimum-style export. With a KV cache the
 * `present.N.key|value` outputs of one step are fed back as `past_key_values.N.key|value` without
 * copying; models without cache inputs re-run the whole sequence each step.
 */
export function textGenerationTask({
  session,
  folder,
  options,
  label,
  device,
}: TaskContext): TaskRunner<TextGenerationTask> {
  const config: Json = folder.config ?? {};
  const generation: Json = folder.generationConfig ?? {};
  const inputs = session.inputs;
  const found = () =>
    `inputs ${[...inputs.values()].map(describeValue).join(', ')}; outputs ${[...session.outputs.values()].map(describeValue).join(', ')}`;
  if (!inputs.has('input_ids') || !session.outputs.has('logits')) {
    throw new ModelLoadError(
      `${label}: text generation needs an input_ids input and a logits output; found ${found()}`,
    );
  }
  requireFeedableInputs(
    session,
    label,
    'text-generation',
    (name) => GENERATION_INPUTS.has(name) || PAST.test(name),
  );
  const tokenizer = loadTokenizer(folder, label);

  // KV cache layout, from the model's metadata where it is fixed, else from config.json.
  const slots: CacheSlot[] = [];
  for (const info of inputs.values()) {
    const match = PAST.exec(info.name);
    if (!match) continue;
    const output = `present.${match[1]}.${match[2]}`;
    if (!session.outputs.has(output)) {
      throw new ModelLoadError(
        `${label}: the model takes ${info.name} but has no ${output} output to feed back; found ${found()}`,
      );
    }
    const attentionHeads = numberOf(config.num_attention_heads, config.n_head, config.num_heads);
    const heads = numberOf(info.shape?.[1], config.num_key_value_heads, attentionHeads);
    const hidden = numberOf(config.hidden_size, config.n_embd, config.d_model);
    const headDim = numberOf(
      info.shape?.[3],
      config.head_dim,
      hidden !== undefined && attentionHeads ? hidden / attentionHeads : undefined,
    );
    if (heads === undefined || headDim === undefined) {
      throw new ModelLoadError(
        `${label}: cannot tell the shape of ${info.name} (${describeValue(info)}); config.json needs num_attention_heads (or num_key_value_heads) and hidden_size (or head_dim)`,
      );
    }
    slots.push({ input: info.name, output, type: info.type ?? 'float32', heads, headDim });
  }
  const useCache = slots.length > 0;
  const continuous = options.continuousBatching
    ? new ContinuousBatcher({ session, slots, label, ...options.continuousBatching })
    : undefined;
  const fetches = ['logits', ...slots.map((s) => s.output)];
  const pastNames = slots.map((s) => s.input);
  const eosIds = new Set([...idsOf(generation.eos_token_id), ...idsOf(config.eos_token_id)]);
  const eosToken = tokenizer.idOf(tokenizer.specialTokens.eos_token);
  if (eosToken !== undefined) eosIds.add(eosToken);
  const contextLength = Math.min(
    numberOf(config.max_position_embeddings, config.n_positions, config.n_ctx) ?? Number.POSITIVE_INFINITY,
    tokenizer.maxLength,
  );
  const defaultMaxTokens = numberOf(generation.max_new_tokens) ?? 256;
  const templateSource =
    options.chatTemplate === false ? undefined : (options.chatTemplate ?? folder.chatTemplate);
  let chat: ChatRenderer | undefined;
  const renderChat = (messages: TemplateMessage[], tools: TemplateTool[] | undefined) => {
    if (!templateSource) {
      const message =
        options.chatTemplate === false
          ? `the chat template of ${label} was turned off by the load option chatTemplate: false; pass { prompt } (raw text to continue), or load without chatTemplate: false to use the model's template`
          : `${label} has no chat template (chat_template.jinja, tokenizer_config.json chat_template or chat_template.json); pass { prompt } or load it with { chatTemplate }`;
      throw new InvalidInputError(`Invalid input — input.messages: ${message}`, {
        issues: [{ path: 'input.messages', message }],
      });
    }
    chat ??= compileChatTemplate(templateSource, tokenizer.specialTokens, label);
    return chat(messages, tools);
  };
  const formatName =
    options.toolCallFormat ?? (templateSource ? detectToolCallFormat(templateSource) : undefined);
  const format = formatName ? toolCallFormats[formatName] : undefined;
  const takesTools =
    options.toolCallFormat !== undefined ||
    (templateSource !== undefined && templateTakesTools(templateSource));
  // The logits width when config.json does not say: one past the highest id the tokenizer knows, added
  // tokens too (a loop, not Math.max(...ids): a 150k-token vocabulary overflows the call's arguments).
  const tokenIdLimit = () => {
    let highest = -1;
    for (const id of tokenizer.tokenizer.get_vocab(true).values()) if (id > highest) highest = id;
    return highest + 1;
  };
  const vocabSize = numberOf(config.vocab_size) ?? tokenIdLimit();
  let vocabulary: TokenVocabulary | undefined;
  const compile = (grammar: Grammar, param: string): CompiledGrammar => {
    vocabulary ??= vocabularyOf(folder.tokenizerJson!, { eosIds: [...eosIds], vocabSize });
    try {
      return compileGrammar(grammar, vocabulary);
    } catch (error) {
      const message = (error as Error).message;
      throw new UnsupportedError(
        `${label} cannot constrain decoding to ${param}: ${message}; simplify the schema (constrained decoding supports type, properties, required, items, enum, const, anyOf and the string/number limits)`,
        { param, cause: error },
      );
    }
  };

  /** The constraint of a call, compiled before any inference (so an unsupported schema fails at once). */
  function outputPlan(input: Input): OutputPlan {
    const choice = input.toolChoice ?? 'auto';
    if (input.tools?.length && choice !== 'none') {
      if (!format) {
        throw new UnsupportedError(
          `${label}'s chat template shows no tool-call format mlkit knows (Hermes <tool_call>, Llama 3.1 JSON, Mistral [TOOL_CALLS]); load it with { toolCallFormat } or leave out tools`,
          { param: 'tools' },
        );
      }
      const grammarTools = input.tools.map((tool) => ({
        name: tool.name,
        parameters: toJsonSchema(tool.parameters),
      }));
      const maxCalls = input.parallelToolCalls === false ? 1 : MAX_PARALLEL_CALLS;
      const allowed =
        typeof choice === 'object' ? grammarTools.filter((tool) => tool.name === choice.tool) : grammarTools;
      const compileCalls = (tools: typeof grammarTools, withTrigger: boolean) =>
        compile(format.grammar(tools, { maxCalls, withTrigger }), 'tools');
      const triggerId = tokenizer.idOf(format.trigger);
      const afterTrigger = compileCalls(choice === 'auto' ? grammarTools : allowed, false);
      let required: RequiredCall | undefined;
      if (choice === 'auto') required = undefined;
      else if (format.name === 'llama3-json') required = { grammar: afterTrigger };
      else if (triggerId !== undefined) required = { forceToken: triggerId };
      else required = { grammar: compileCalls(allowed, true) };
      return { kind: 'tools', format, afterTrigger, required, triggerId };
    }
    if (input.responseFormat?.type === 'json') {
      const schema: JsonSchema = input.responseFormat.schema
        ? toJsonSchema(input.responseFormat.schema)
        : { type: 'object' };
      return { kind: 'json', grammar: compile({ type: 'json', schema }, 'responseFormat.schema') };
    }
    return { kind: 'text' };
  }
  const decode = rememberingSingleTokens((ids: number[]) =>
    ids.length ? tokenizer.tokenizer.decode(ids, { skip_special_tokens: true }) : '',
  );
  const ort = session.ort;
  const scalar = (type: string, value: bigint | boolean) =>
    type === 'bool'
      ? new ort.Tensor('bool', new Uint8Array([value ? 1 : 0]), [1])
      : new ort.Tensor('int64', new BigInt64Array([value as bigint]), []);

  // `prompt` means one user turn, as hosted providers send it: a model with a chat template gets it
  // rendered as a user message, so `{ prompt }` answers alike here and through an OpenAI-compatible
  // server. A model without one (a base model, or `chatTemplate: false`) continues the raw text, and
  // a conversation of one user message is then that text.
  function promptIds(input: Input): number[] {
    const raw = (text: string) => tokenizer.tokenizer.encode(text, { add_special_tokens: true }).ids;
    const tools = input.tools?.length && input.toolChoice !== 'none' ? templateTools(input.tools) : undefined;
    const chatIds = (messages: TemplateMessage[]) =>
      tokenizer.tokenizer.encode(renderChat(messages, tools), { add_special_tokens: false }).ids;
    if ('prompt' in input)
      return templateSource ? chatIds([{ role: 'user', content: input.prompt }]) : raw(input.prompt);
    const messages = templateMessages(input.messages);
    const only = messages.length === 1 ? messages[0]! : undefined;
    if (!templateSource && only?.role === 'user') return raw(only.content);
    return chatIds(messages);
  }

  function picker(input: Input): (logits: Float32Array) => number {
    const sampling = input.temperature === undefined ? generation.do_sample === true : input.temperature > 0;
    if (!sampling) return (logits) => argmax(logits);
    const temperature = input.temperature ?? numberOf(generation.temperature) ?? 1;
    const topK = input.topK ?? numberOf(generation.top_k);
    const topP = input.topP ?? numberOf(generation.top_p);
    const random = seededRandom(input.seed ?? Math.floor(Math.random() * 2 ** 32));
    return (logits) => sample(logits, { temperature, topK, topP }, random);
  }

  /**
   * The next token from a row of logits: penalties and logit bias first, then the grammar's mask (which
   * tokens may come next), then greedy or sampled. The row is the step's own, read once: adjusted in place.
   */
  function chooser(input: Input): (logits: Float32Array, mask: Uint32Array | undefined) => number {
    const pick = picker(input);
    const processor = LogitsProcessor.isNoop(input) ? undefined : new LogitsProcessor(input);
    return (row, mask) => {
      processor?.apply(row);
      if (mask) applyMask(row, mask);
      const token = pick(row);
      processor?.record(token);
      return token;
    };
  }

  /** The first step's inputs, or every step's without a cache: the whole sequence. */
  function fullFeeds(ids: number[]): Record<string, OrtTensor> {
    const n = ids.length;
    const feeds: Record<string, OrtTensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    };
    if (inputs.has('attention_mask'))
      feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
    if (inputs.has('position_ids')) {
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
        [1, n],
      );
    }
    for (const slot of slots) {
      const empty = slot.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      feeds[slot.input] = new ort.Tensor(slot.type, empty, [1, slot.heads, 0, slot.headDim]);
    }
    if (inputs.has('use_cache_branch')) feeds.use_cache_branch = scalar('bool', false);
    if (inputs.has('num_logits_to_keep')) feeds.num_logits_to_keep = scalar('int64', 1n);
    if (inputs.has('logits_to_keep')) feeds.logits_to_keep = scalar('int64', 1n);
    return feeds;
  }

  /** A cached step: one new token, the mask over everything so far, the previous presents as the past. */
  function stepFeeds(
    token: number,
    total: number,
    previous: Record<string, OrtTensor>,
  ): Record<string, OrtTensor> {
    const feeds: Record<string, OrtTensor> = {
      input_ids: new ort.Tensor('int64', new BigInt64Array([BigInt(token)]), [1, 1]),
    };
    if (inputs.has('attention_mask')) {
      feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
    }
    if (inputs.has('position_ids'))
      feeds.position_ids = new ort.Tensor('int64', new BigInt64Array([BigInt(total - 1)]), [1, 1]);
    for (const slot of slots) feeds[slot.input] = previous[slot.output]!;
    if (inputs.has('use_cache_branch')) feeds.use_cache_branch = scalar('bool', true);
    if (inputs.has('num_logits_to_keep')) feeds.num_logits_to_keep = scalar('int64', 1n);
    if (inputs.has('logits_to_keep')) feeds.logits_to_keep = scalar('int64', 1n);
    return feeds;
  }

  /**
   * The decoder loop. `streaming` false (a `run()` call): without stop sequences, tools or a grammar nobody
   * needs text before the end, so the new tokens are decoded once at the end instead of token by token.
   *
   * With tools, generation is free text until the model writes the format's trigger (`<tool_call>`); from
   * there the calls are constrained by their grammar until they end (more calls or eos), and the scanner
   * streams each call's arguments as they are written. With toolChoice required or a named tool the trigger
   * is forced (or the calls constrained from the first token). With a json responseFormat every token is
   * constrained to the schema's documents.
   */
  async function* generate(
    input: Input,
    signal: AbortSignal,
    streaming: boolean,
  ): AsyncGenerator<ChunkOf<TextGenerationTask>> {
    if (!continuous) return yield* decodeLoop(input, signal, streaming, undefined);
    // With continuous batching the logits come from the shared batch; the place is freed however the call ends.
    const lane = continuous.lane();
    try {
      yield* decodeLoop(input, signal, streaming, lane);
    } finally {
      lane.leave();
    }
  }

  async function* decodeLoop(
    input: Input,
    signal: AbortSignal,
    streaming: boolean,
    lane: Lane | undefined,
  ): AsyncGenerator<ChunkOf<TextGenerationTask>> {
    const started = performance.now();
    const plan = outputPlan(input);
    const prompt = promptIds(input);
    if (prompt.length === 0) {
      throw new InvalidInputError('Invalid input — input.prompt: the prompt has no tokens', {
        issues: [{ path: 'input.prompt', message: 'empty prompt' }],
      });
    }
    if (prompt.length >= contextLength) {
      throw new InvalidInputError(
        `Invalid input — the prompt is ${prompt.length} tokens; ${label} reads at most ${contextLength}`,
        {
          issues: [
            {
              path: 'messages' in input ? 'input.messages' : 'input.prompt',
              message: `${prompt.length} tokens (max ${contextLength - 1})`,
            },
          ],
        },
      );
    }
    const maxTokens = input.maxTokens ?? defaultMaxTokens;
    const choose = chooser(input);
    const stops = input.stop === undefined ? [] : typeof input.stop === 'string' ? [input.stop] : input.stop;
    const tools = plan.kind === 'tools' ? plan : undefined;
    // Stops apply to free text; the text that could still become the trigger is held back like a stop's start.
    const scanner = new StopScanner(stops);
    const holdBack = new StopScanner(tools ? [...stops, tools.format.trigger] : stops);
    const incremental = streaming || stops.length > 0 || plan.kind !== 'text';
    const decoder = new IncrementalDecoder(decode);
    const sequence = [...prompt];
    let text = '';
    let emitted = 0;
    let outputTokens = 0;
    let firstTokenAt: number | undefined;
    let finishReason: FinishReason = 'length';
    let rawFinishReason = 'length';
    let previous: Record<string, OrtTensor> | undefined;
    let stopped = false;
    let matcher = plan.kind === 'json' ? new GrammarMatcher(plan.grammar) : undefined;
    /** Set once the calls began: every later token is part of them. */
    let calls: ToolCallScanner | undefined;
    let forceToken: number | undefined;
    const required = tools?.required;
    if (required && 'grammar' in required) {
      matcher = new GrammarMatcher(required.grammar);
      calls = new ToolCallScanner(tools.format);
    } else if (required) {
      forceToken = required.forceToken;
    }
    const callChunks = function* (piece: string): Generator<TextGenerationChunk> {
      for (const event of calls!.push(piece)) {
        if (event.type === 'delta') {
          const { index, id, name, argumentsDelta } = event;
          yield { type: 'tool-call-delta', index, id, name, argumentsDelta };
        } else {
          const { id, name, arguments: args } = event.call;
          yield { type: 'tool-call', index: event.index, id, name, arguments: args };
        }
      }
    };
    /** Cuts `text` at the first stop sequence past what was emitted and ends there; false when none. */
    const cutAtStop = (): boolean => {
      const stopAt = stops.length ? scanner.find(text, emitted) : -1;
      if (stopAt < 0) return false;
      text = text.slice(0, stopAt);
      finishReason = 'stop';
      rawFinishReason = 'stop_sequence';
      stopped = true;
      return true;
    };

    while (outputTokens < maxTokens && sequence.length < contextLength) {
      throwIfAborted(signal);
      let row: Float32Array;
      let logits: OrtTensor | undefined;
      if (lane) {
        row = await lane.next(sequence, Math.min(contextLength, prompt.length + maxTokens), signal);
      } else {
        const past = useCache ? previous : undefined;
        const feeds = past
          ? stepFeeds(sequence[sequence.length - 1]!, sequence.length, past)
          : fullFeeds(sequence);
        // A cached step's past is read no more once fed: a session in a worker may move it there.
        const outputs = await session.run(feeds, fetches, signal, past && pastNames);
        logits = outputs.logits!;
        const vocab = logits.dims[logits.dims.length - 1]!;
        const rows = logits.data.length / vocab;
        row = floatSlice(logits, (rows - 1) * vocab, vocab);
        previous = outputs;
      }
      const remaining = Math.min(maxTokens - outputTokens, contextLength - sequence.length);
      let token: number;
      if (forceToken !== undefined) {
        token = forceToken;
        forceToken = undefined;
      } else {
        token = choose(row, matcher?.allowed(remaining));
      }
      // The row is read: its step's logits are freed now (the past is once fed), not by a later collection.
      discard(logits);
      outputTokens++;
      firstTokenAt ??= performance.now();
      if (eosIds.has(token)) {
        finishReason = 'stop';
        rawFinishReason = 'eos';
        break;
      }
      sequence.push(token);
      matcher?.accept(token);
      if (!incremental) continue;
      const piece = decoder.push(token);
      if (calls) {
        yield* callChunks(piece);
      } else {
        text += piece;
        if (tools) {
          // The trigger as its own token, or written out in text (then perhaps with the call's start after it).
          const at = text.indexOf(tools.format.trigger, Math.max(0, emitted - tools.format.trigger.length));
          if (token === tools.triggerId || at >= 0) {
            const cut = at >= 0 ? at : text.length;
            const after = at >= 0 ? text.slice(at + tools.format.trigger.length) : '';
            text = text.slice(0, cut);
            if (cutAtStop()) break;
            if (text.length > emitted) yield { type: 'text-delta', text: text.slice(emitted) };
            emitted = text.length;
            calls = new ToolCallScanner(tools.format);
            // Where the trigger ended a token, the grammar takes over; text past it was written freely.
            if (after === '') matcher = new GrammarMatcher(tools.afterTrigger);
            else yield* callChunks(after);
            continue;
          }
        }
        if (!matcher && cutAtStop()) break;
        const safe = matcher ? text.length : holdBack.safeLength(text);
        if (safe > emitted) {
          yield { type: 'text-delta', text: text.slice(emitted, safe) };
          emitted = safe;
        }
      }
      if (matcher?.finished) {
        finishReason = 'stop';
        rawFinishReason = 'grammar_complete';
        break;
      }
    }
    if (previous) for (const slot of slots) discard(previous[slot.output]);
    if (!incremental) {
      text = decode(sequence.slice(prompt.length));
    } else if (!stopped) {
      // A character still incomplete at the end is what the model produced: emit it (as U+FFFD).
      const rest = decoder.flush();
      if (calls) yield* callChunks(rest);
      else {
        text += rest;
        if (!matcher) cutAtStop();
      }
    }
    if (tools && !calls && tools.format.name === 'llama3-json') {
      // Llama 3.1 may answer with bare JSON calls and no <|python_tag|>: read them from the whole text.
      const parsed = parseToolCalls(tools.format, text);
      if (parsed.calls.length > 0) {
        text = parsed.text;
        calls = new ToolCallScanner(tools.format);
        for (const [index, call] of parsed.calls.entries()) {
          yield {
            type: 'tool-call-delta',
            index,
            id: call.id,
            name: call.name,
            argumentsDelta: call.arguments,
          };
          yield { type: 'tool-call', index, ...call };
          calls.calls.push(call);
        }
      }
    }
    if (text.length > emitted) yield { type: 'text-delta', text: text.slice(emitted) };
    if (calls && calls.calls.length > 0 && finishReason === 'stop' && !calls.open) {
      finishReason = 'tool-calls';
      rawFinishReason = 'tool_calls';
    }
    const ended = performance.now();
    const usage: Usage = {
      inputTokens: prompt.length,
      outputTokens,
      totalTokens: prompt.length + outputTokens,
      durationMs: ended - started,
      device,
    };
    if (firstTokenAt !== undefined) {
      usage.timeToFirstTokenMs = firstTokenAt - started;
      if (outputTokens > 1 && ended > firstTokenAt)
        usage.tokensPerSecond = ((outputTokens - 1) * 1000) / (ended - firstTokenAt);
    }
    yield { type: 'finish', finishReason, rawFinishReason, usage };
  }

  return {
    task: textGeneration,
    capabilities: {
      streaming: true,
      batching: false,
      logitAdjustments: true,
      tools: takesTools && format !== undefined,
      jsonSchema: true,
      images: false,
    },
    async run(input, { signal }) {
      let text = '';
      const toolCalls: ToolCall[] = [];
      for await (const chunk of generate(input, signal, false)) {
        if (chunk.type === 'text-delta') text += chunk.text;
        else if (chunk.type === 'tool-call') {
          toolCalls.push({ id: chunk.id, name: chunk.name, arguments: chunk.arguments });
        } else if (chunk.type === 'finish') {
          const output: TextGenerationOutput = { text, finishReason: chunk.finishReason, usage: chunk.usage };
          if (chunk.rawFinishReason !== undefined) output.rawFinishReason = chunk.rawFinishReason;
          if (toolCalls.length > 0) output.toolCalls = toolCalls;
          return output;
        }
      }
      throw new Error('unreachable: generation ended without a finish chunk');
    },
    stream: (input, { signal }) => generate(input, signal, true) as AsyncIterable<TextGenerationChunk>,
    batches: () => continuous?.stats().steps ?? 0,
    ...(continuous && { continuousBatching: () => continuous.stats() }),
  };
}

/** The text-generation task's local runner. */
export const textGenerationRunner: LocalRunner<TextGenerationTask> = {
  needs: (options) => ({
    tokenizer: true,
    generation: true,
    chatTemplate: options.chatTemplate === undefined,
  }),
  build: textGenerationTask,
};
