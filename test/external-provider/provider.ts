// A provider as a third party writes one: outside mlkit, against the public API only (the package
// names, never mlkit's sources). It wraps a backend that answers a text with a text; the model
// shouts the last user turn back, word by word when streaming.
import {
  type CallContext,
  defineModel,
  type Model,
  type ParsedInputOf,
  type TextGenerationTask,
  textGeneration,
  UnsupportedError,
} from '@mlkit/core';

/** The service the provider calls; in a real provider, a fetch to its API. */
export type ShoutBackend = (text: string, signal: AbortSignal) => Promise<string>;

type Input = ParsedInputOf<TextGenerationTask>;

/** The last user turn's text; an image part is refused, as `capabilities.images: false` promises. */
function lastUserText(input: Input): string {
  if ('prompt' in input) return input.prompt;
  for (const [index, message] of input.messages.entries()) {
    if (message.role !== 'user' || typeof message.content === 'string') continue;
    const image = message.content.findIndex((part) => part.type === 'image');
    if (image >= 0) {
      throw new UnsupportedError('shout reads no images: send text parts only', {
        param: `messages[${index}].content[${image}]`,
      });
    }
  }
  const last = input.messages.findLast((message) => message.role === 'user');
  if (last?.role !== 'user') return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((part) => (part.type === 'text' ? part.text : '')).join(' ');
}

/** Asks the backend and cuts its answer into words, `maxTokens` of them at most. */
async function answer(backend: ShoutBackend, input: Input, { signal }: CallContext) {
  const text = lastUserText(input);
  const words = (await backend(text, signal)).split(/(?<= )/).filter((word) => word !== '');
  const kept = words.slice(0, input.maxTokens ?? words.length);
  return {
    words: kept,
    finishReason: kept.length < words.length ? ('length' as const) : ('stop' as const),
    usage: { inputTokens: text.split(' ').length, outputTokens: kept.length },
  };
}

/** A text generation model over a shout backend. */
export function createShout(backend: ShoutBackend, name = 'v1'): Model<TextGenerationTask> {
  return defineModel({
    id: `shout:${name}`,
    task: textGeneration,
    capabilities: {
      streaming: true,
      batching: false,
      local: false,
      tools: false,
      jsonSchema: false,
      images: false,
    },
    async run(input, context) {
      const { words, finishReason, usage } = await answer(backend, input, context);
      return { text: words.join(''), finishReason, usage };
    },
    async *stream(input, context) {
      const { words, finishReason, usage } = await answer(backend, input, context);
      for (const word of words) yield { type: 'text-delta', text: word };
      yield { type: 'finish', finishReason, usage };
    },
  });
}

/** The backend the tests use: upper-cases the text; `calls()` says how often it was reached. */
export function shoutBackend(): { backend: ShoutBackend; calls: () => number } {
  let calls = 0;
  return {
    backend: async (text) => {
      calls++;
      return text.toUpperCase();
    },
    calls: () => calls,
  };
}
