import { sleep } from '../../src/abort.ts';
import {
  defineModel,
  embedding,
  InvalidInputError,
  type Model,
  type TextGenerationTask,
  textGeneration,
} from '../../src/index.ts';

/** A deterministic in-memory text generation model: echoes the last message word by word. */
export function echoModel(options: { delayMs?: number } = {}): {
  model: Model<TextGenerationTask>;
  calls: () => number;
} {
  let calls = 0;
  const words = (input: { messages?: { content: unknown }[]; prompt?: string; maxTokens?: number }) => {
    const last = input.messages?.at(-1)?.content;
    const text = input.prompt ?? (typeof last === 'string' ? last : JSON.stringify(last));
    return text.split(/(?<= )/).slice(0, input.maxTokens ?? Number.POSITIVE_INFINITY);
  };
  const model = defineModel({
    id: 'echo:words',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, device: 'cpu' },
    async run(input, { signal }) {
      calls++;
      await sleep(options.delayMs ?? 0, signal);
      const out = words(input);
      return {
        text: out.join(''),
        finishReason: 'stop',
        usage: { inputTokens: out.length, outputTokens: out.length },
      };
    },
    async *stream(input, { signal }) {
      calls++;
      const out = words(input);
      for (const word of out) {
        await sleep(options.delayMs ?? 0, signal);
        yield { type: 'text-delta', text: word };
      }
      yield {
        type: 'finish',
        finishReason: 'stop',
        usage: { inputTokens: out.length, outputTokens: out.length },
      };
    },
  });
  return { model, calls: () => calls };
}

/** A deterministic embedding model: character histogram vectors of 8 dimensions. */
export function histogramEmbedder() {
  let calls = 0;
  const model = defineModel({
    id: 'test:histogram',
    task: embedding,
    capabilities: { streaming: false, batching: true, local: true },
    async run(input) {
      calls++;
      if (!('texts' in input)) throw new InvalidInputError('the histogram embedder takes texts');
      const embeddings = input.texts.map((text) => {
        const v = new Float32Array(8);
        for (const ch of text) v[ch.charCodeAt(0) % 8]! += 1;
        return v;
      });
      return { embeddings, dimensions: 8, usage: { inputTokens: input.texts.join('').length } };
    },
  });
  return { model, calls: () => calls };
}
