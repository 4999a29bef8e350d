// Real mlkit models (built with defineModel) that fail on purpose, for the composition tests.
import { sleep } from '../../src/abort.ts';
import {
  type Capabilities,
  defineModel,
  type EmbeddingTask,
  embedding,
  type Model,
  type TextGenerationTask,
  textGeneration,
} from '../../src/index.ts';

export interface FailingOptions {
  /** Wait this long (honouring the call's signal) before failing. */
  delayMs?: number;
  /** Streams: yield these text deltas before failing (0 = fail before the first chunk). */
  chunksBeforeError?: string[];
  capabilities?: Partial<Capabilities>;
}

/** A text generation model whose every call fails with `makeError()`; counts calls and finished streams. */
export function failingModel(
  id: string,
  makeError: () => Error,
  options: FailingOptions = {},
): { model: Model<TextGenerationTask>; calls: () => number; closedStreams: () => number } {
  let calls = 0;
  let closedStreams = 0;
  const model = defineModel({
    id,
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: false, ...options.capabilities },
    async run(_input, { signal }) {
      calls++;
      if (options.delayMs) await sleep(options.delayMs, signal);
      throw makeError();
    },
    async *stream(_input, { signal }) {
      calls++;
      try {
        if (options.delayMs) await sleep(options.delayMs, signal);
        for (const text of options.chunksBeforeError ?? []) yield { type: 'text-delta', text };
        throw makeError();
      } finally {
        closedStreams++;
      }
    },
  });
  return { model, calls: () => calls, closedStreams: () => closedStreams };
}

/** A text generation model that answers `text` after `delayMs` (honouring the call's signal). */
export function fixedModel(
  id: string,
  text: string,
  options: { delayMs?: number; capabilities?: Partial<Capabilities> } = {},
): { model: Model<TextGenerationTask>; calls: () => number; signals: AbortSignal[] } {
  let calls = 0;
  const signals: AbortSignal[] = [];
  const usage = { inputTokens: 1, outputTokens: 1 };
  const model = defineModel({
    id,
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, device: 'cpu', ...options.capabilities },
    async run(_input, { signal }) {
      calls++;
      signals.push(signal);
      await sleep(options.delayMs ?? 0, signal);
      return { text, finishReason: 'stop', usage };
    },
    async *stream(_input, { signal }) {
      calls++;
      signals.push(signal);
      await sleep(options.delayMs ?? 0, signal);
      yield { type: 'text-delta', text };
      yield { type: 'finish', finishReason: 'stop', usage };
    },
  });
  return { model, calls: () => calls, signals };
}

/** An embedding model whose every call fails with `makeError()`. */
export function failingEmbedder(id: string, makeError: () => Error) {
  let calls = 0;
  const model: Model<EmbeddingTask> = defineModel({
    id,
    task: embedding,
    capabilities: { streaming: false, batching: true, local: false },
    async run() {
      calls++;
      throw makeError();
    },
  });
  return { model, calls: () => calls };
}

/** Every chunk of a stream. */
export async function collect<C>(stream: AsyncIterable<C>): Promise<C[]> {
  const chunks: C[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The text of a text generation stream's deltas. */
export function textOf(chunks: readonly { type: string; text?: string }[]): string {
  return chunks
    .filter((chunk) => chunk.type === 'text-delta')
    .map((chunk) => chunk.text)
    .join('');
}
