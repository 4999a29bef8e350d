import {
  type ChunkOf,
  type FinishReason,
  InvalidInputError,
  ModelLoadError,
  type ParsedInputOf,
  type TextGenerationChunk,
  type TextGenerationTask,
  textGeneration,
  throwIfAborted,
  type Usage,
} from '@mlkit/core';
import { type ChatRenderer, compileChatTemplate } from '../chat-template.ts';
import { IncrementalDecoder } from '../generation/detokenizer.ts';
import { argmax, LogitsProcessor, sample, seededRandom } from '../generation/sampling.ts';
import { StopScanner } from '../generation/stop.ts';
import type { OrtTensor } from '../ort.ts';
import { describeValue, requireFeedableInputs } from '../session.ts';
import { floatSlice } from '../tensors.ts';
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

/** Ids from a config value that is an int or a list of ints (generation_config eos_token_id is either). */
function idsOf(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

function numberOf(...values: unknown[]): number | undefined {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

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
  const fetches = ['logits', ...slots.map((s) => s.output)];
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
  const renderChat = (messages: { role: string; content: string }[]) => {
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
    return chat(messages);
  };
  const decode = (ids: number[]) =>
    ids.length ? tokenizer.tokenizer.decode(ids, { skip_special_tokens: true }) : '';
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
    const chatIds = (messages: { role: string; content: string }[]) =>
      tokenizer.tokenizer.encode(renderChat(messages), { add_special_tokens: false }).ids;
    if ('prompt' in input)
      return templateSource ? chatIds([{ role: 'user', content: input.prompt }]) : raw(input.prompt);
    const only = input.messages.length === 1 ? input.messages[0]! : undefined;
    if (!templateSource && only?.role === 'user') return raw(only.content);
    return chatIds(input.messages);
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

  /** The next token from a row of logits: penalties and logit bias first, then greedy or sampled. */
  function chooser(input: Input): (logits: Float32Array) => number {
    const pick = picker(input);
    if (LogitsProcessor.isNoop(input)) return pick;
    const processor = new LogitsProcessor(input);
    return (logits) => {
      const token = pick(processor.apply(logits));
      processor.record(token);
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
   * The decoder loop. `streaming` false (a `run()` call): without stop sequences nobody needs text before the
   * end, so the new tokens are decoded once at the end instead of token by token.
   */
  async function* generate(
    input: Input,
    signal: AbortSignal,
    streaming: boolean,
  ): AsyncGenerator<ChunkOf<TextGenerationTask>> {
    const started = performance.now();
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
    const scanner = new StopScanner(stops);
    const incremental = streaming || stops.length > 0;
    const decoder = new IncrementalDecoder(decode);
    const sequence = [...prompt];
    let text = '';
    let emitted = 0;
    let outputTokens = 0;
    let firstTokenAt: number | undefined;
    let finishReason: FinishReason = 'length';
    let previous: Record<string, OrtTensor> | undefined;
    let stopped = false;

    while (outputTokens < maxTokens && sequence.length < contextLength) {
      throwIfAborted(signal);
      const feeds =
        useCache && previous
          ? stepFeeds(sequence[sequence.length - 1]!, sequence.length, previous)
          : fullFeeds(sequence);
      const outputs = await session.run(feeds, fetches, signal);
      const logits = outputs.logits!;
      const vocab = logits.dims[logits.dims.length - 1]!;
      const rows = logits.data.length / vocab;
      const token = choose(floatSlice(logits, (rows - 1) * vocab, vocab));
      previous = outputs;
      outputTokens++;
      firstTokenAt ??= performance.now();
      if (eosIds.has(token)) {
        finishReason = 'stop';
        break;
      }
      sequence.push(token);
      if (!incremental) continue;
      text += decoder.push(token);
      const stopAt = stops.length ? scanner.find(text, emitted) : -1;
      if (stopAt >= 0) {
        text = text.slice(0, stopAt);
        finishReason = 'stop';
        stopped = true;
        break;
      }
      const safe = stops.length ? scanner.safeLength(text) : text.length;
      if (safe > emitted) {
        yield { type: 'text-delta', text: text.slice(emitted, safe) };
        emitted = safe;
      }
    }
    if (!incremental) {
      text = decode(sequence.slice(prompt.length));
    } else if (!stopped) {
      // A character still incomplete at the end is what the model produced: emit it (as U+FFFD).
      text += decoder.flush();
      const stopAt = stops.length ? scanner.find(text, emitted) : -1;
      if (stopAt >= 0) {
        text = text.slice(0, stopAt);
        finishReason = 'stop';
      }
    }
    if (text.length > emitted) yield { type: 'text-delta', text: text.slice(emitted) };
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
    yield { type: 'finish', finishReason, usage };
  }

  return {
    task: textGeneration,
    capabilities: { streaming: true, batching: false, logitAdjustments: true },
    async run(input, { signal }) {
      let text = '';
      for await (const chunk of generate(input, signal, false)) {
        if (chunk.type === 'text-delta') text += chunk.text;
        else if (chunk.type === 'finish') return { text, finishReason: chunk.finishReason, usage: chunk.usage };
      }
      throw new Error('unreachable: generation ended without a finish chunk');
    },
    stream: (input, { signal }) => generate(input, signal, true) as AsyncIterable<TextGenerationChunk>,
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
