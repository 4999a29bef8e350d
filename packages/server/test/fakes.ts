// Deterministic fake models for the server's tests, built with core's defineModel so they
// validate, time out, abort and dispose like every real model.
import {
  type ChatMessage,
  classification,
  defineModel,
  embedding,
  InvalidInputError,
  type Prediction,
  sleep,
  type Tensor,
  tensor,
  textGeneration,
  throwIfAborted,
} from '@mlkit/core';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** A reply the fake chat model gives: "You said: <last user message>", one word per token. */
export function replyOf(input: { messages?: ChatMessage[]; prompt?: string }): string {
  const last = input.messages
    ? (input.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '')
    : input.prompt!;
  return `You said: ${last}`;
}

/** Text generation that streams one word per delta, honouring maxTokens and stop. */
export function fakeChatModel(options: { delayMs?: number } = {}) {
  const calls = { run: 0, stream: 0, disposed: 0, aborted: 0 };
  function generate(input: {
    messages?: ChatMessage[];
    prompt?: string;
    maxTokens?: number;
    stop?: string | string[];
  }) {
    let text = replyOf(input);
    let finishReason: 'stop' | 'length' = 'stop';
    for (const stop of typeof input.stop === 'string' ? [input.stop] : (input.stop ?? [])) {
      const at = text.indexOf(stop);
      if (at >= 0) text = text.slice(0, at);
    }
    let tokens = words(text).map((word, i) => (i === 0 ? word : ` ${word}`));
    if (input.maxTokens !== undefined && tokens.length > input.maxTokens) {
      tokens = tokens.slice(0, input.maxTokens);
      finishReason = 'length';
    }
    const promptText = input.messages ? input.messages.map((m) => m.content).join(' ') : input.prompt!;
    const usage = { inputTokens: words(promptText).length, outputTokens: tokens.length, totalTokens: 0 };
    usage.totalTokens = usage.inputTokens + usage.outputTokens;
    return { tokens, finishReason, usage };
  }
  const model = defineModel({
    id: 'fake:chat',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true },
    async run(input, context) {
      calls.run++;
      const { tokens, finishReason, usage } = generate(input);
      if (options.delayMs) await sleep(options.delayMs, context.signal);
      return { text: tokens.join(''), finishReason, usage };
    },
    async *stream(input, context) {
      calls.stream++;
      const { tokens, finishReason, usage } = generate(input);
      try {
        for (const token of tokens) {
          await sleep(options.delayMs ?? 0, context.signal);
          yield { type: 'text-delta' as const, text: token };
        }
      } catch (error) {
        if (context.signal.aborted) calls.aborted++;
        throw error;
      }
      yield { type: 'finish' as const, finishReason, usage };
    },
    dispose() {
      calls.disposed++;
    },
  });
  return { model, calls };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The fake embedding of `text`: a unit vector from the text's hash. */
export function embeddingOf(text: string, dimensions = 8): Float32Array {
  const seed = hash(text);
  const vector = Float32Array.from({ length: dimensions }, (_, i) => Math.sin(seed + i * 1.7));
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

/** Embeddings from a text hash; batches; counts model calls. */
export function fakeEmbeddingModel() {
  const calls = { run: 0, texts: 0, disposed: 0 };
  const model = defineModel({
    id: 'fake:embedding',
    task: embedding,
    capabilities: { streaming: false, batching: true, maxBatch: 64, local: true },
    async run(input) {
      calls.run++;
      if (!('texts' in input)) throw new InvalidInputError('the fake embedding model takes texts');
      calls.texts += input.texts.length;
      const dimensions = input.dimensions ?? 8;
      const tokens = input.texts.reduce((sum, text) => sum + words(text).length, 0);
      return {
        embeddings: input.texts.map((text) => embeddingOf(text, dimensions)),
        dimensions,
        usage: { inputTokens: tokens, totalTokens: tokens },
      };
    },
    dispose() {
      calls.disposed++;
    },
  });
  return { model, calls };
}

export const IRIS_LABELS = ['setosa', 'versicolor', 'virginica'];

/** The fake classifier's answer for one row: a softmax of three fixed linear scores. */
export function predictRow(row: number[]): Prediction {
  const logits = [
    -row.reduce((a, b) => a + b, 0) / 4,
    (row[0] ?? 0) - (row[1] ?? 0),
    row.reduce((a, b) => a + b, 0) / 4 - 2,
  ];
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  const scores = Object.fromEntries(IRIS_LABELS.map((label, i) => [label, exps[i]! / total]));
  const best = exps.indexOf(Math.max(...exps));
  return { label: IRIS_LABELS[best]!, score: exps[best]! / total, scores };
}

/** A text's prediction: positive when it has more "good" than "bad". */
export function predictText(text: string): Prediction {
  const good = (text.match(/good|great|love/gi) ?? []).length;
  const bad = (text.match(/bad|awful|hate/gi) ?? []).length;
  const positive = 1 / (1 + Math.exp(bad - good));
  const label = positive >= 0.5 ? 'POSITIVE' : 'NEGATIVE';
  return {
    label,
    score: Math.max(positive, 1 - positive),
    scores: { NEGATIVE: 1 - positive, POSITIVE: positive },
  };
}

/**
 * Tabular (rows of 4 features) and text classification; batches. `gate`, when given, holds every
 * run until it resolves (or the call is aborted), so tests control timing without the clock.
 */
export function fakeClassifier(
  options: {
    gate?: () => Promise<void>;
    batching?: boolean;
    rejectNegative?: boolean;
    ignoreAbort?: boolean;
  } = {},
) {
  const calls = { run: 0, items: 0, disposed: 0, signals: [] as AbortSignal[], batchSizes: [] as number[] };
  const model = defineModel({
    id: 'fake:iris',
    task: classification,
    capabilities: { streaming: false, batching: options.batching ?? true, local: true },
    async run(input, context) {
      calls.run++;
      calls.signals.push(context.signal);
      const items =
        'rows' in input ? input.rows.length : typeof input.text === 'string' ? 1 : input.text.length;
      calls.items += items;
      calls.batchSizes.push(items);
      if (options.gate && options.ignoreAbort) await options.gate();
      else if (options.gate) {
        await Promise.race([
          options.gate(),
          new Promise((_, reject) => {
            context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
          }),
        ]);
      }
      throwIfAborted(context.signal);
      if (options.rejectNegative && 'rows' in input) {
        input.rows.forEach((row, i) => {
          if (row.some((value) => value < 0)) {
            throw new InvalidInputError(`input.rows[${i}]: features must be >= 0`, {
              issues: [{ path: `input.rows[${i}]`, message: 'features must be >= 0' }],
            });
          }
        });
      }
      const predictions =
        'rows' in input
          ? input.rows.map(predictRow)
          : (typeof input.text === 'string' ? [input.text] : input.text).map(predictText);
      return { predictions, usage: {} };
    },
    dispose() {
      calls.disposed++;
    },
  });
  return { model, calls };
}

function numeric(t: Tensor): number[] {
  if (t.dtype === 'string') return [];
  if (t.dtype === 'float16') {
    // FP16 tensors hold raw half bits; Node 24's Float16Array reads them independently of the server's code.
    const { Float16Array } = globalThis as unknown as {
      Float16Array: new (buffer: ArrayBufferLike, offset: number, length: number) => ArrayLike<number>;
    };
    return Array.from(new Float16Array(t.data.buffer, t.data.byteOffset, t.data.length));
  }
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Echoes every input tensor and adds `sum`: float64 [1], the sum of all numeric inputs. */
export function fakeTensorModel() {
  const calls = { run: 0, disposed: 0 };
  const model = defineModel({
    id: 'fake:tensor',
    task: tensor,
    capabilities: {
      streaming: false,
      batching: false,
      local: true,
      // What an ONNX model tells about its graph.
      signature: {
        inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 3] }],
        outputs: [
          { name: 'x', dtype: 'float32', shape: ['batch', 3] },
          { name: 'sum', dtype: 'float64', shape: [1] },
        ],
      },
    },
    async run(input) {
      calls.run++;
      const sum = Object.values(input.inputs).reduce(
        (total, t) => total + numeric(t).reduce((a, b) => a + b, 0),
        0,
      );
      const outputs: Record<string, Tensor> = {
        ...input.inputs,
        sum: { dtype: 'float64', shape: [1], data: Float64Array.of(sum) },
      };
      if (input.outputs)
        for (const name of Object.keys(outputs)) if (!input.outputs.includes(name)) delete outputs[name];
      return { outputs, usage: {} };
    },
    dispose() {
      calls.disposed++;
    },
  });
  return { model, calls };
}

/** A gate: `wait()` resolves once `open()` is called. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open };
}

/** POST JSON to a server's fetch handler. */
export function postJson(
  server: { fetch(request: Request): Promise<Response> },
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return server.fetch(
    new Request(`http://mlkit.test${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

export function get(
  server: { fetch(request: Request): Promise<Response> },
  path: string,
  headers: Record<string, string> = {},
) {
  return server.fetch(new Request(`http://mlkit.test${path}`, { headers }));
}
