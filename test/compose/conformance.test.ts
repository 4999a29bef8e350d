// Composite models are Models: the shared conformance suite holds for them as for any provider.
import {
  cache,
  embedding,
  fallback,
  limit,
  meter,
  route,
  ServerError,
  shadow,
  textGeneration,
  wrap,
} from '../../src/index.ts';
import { runConformance } from '../conformance/index.ts';
import { echoModel, histogramEmbedder } from '../support/echo-model.ts';
import { failingEmbedder, failingModel } from './models.ts';

const textInputs = [
  { prompt: 'one two three', temperature: 0 },
  { messages: [{ role: 'user' as const, content: 'a b' }], maxTokens: 1 },
];

runConformance('fallback from a failing text generation model to the echo model', {
  task: textGeneration,
  create: async () => {
    const down = failingModel('test:down', () => new ServerError('503', { status: 503 }));
    const echo = echoModel();
    return { model: fallback([down.model, echo.model]), backendCalls: () => down.calls() + echo.calls() };
  },
  inputs: textInputs,
});

runConformance('fallback from a failing embedding model to the histogram embedder', {
  task: embedding,
  create: async () => {
    const down = failingEmbedder('test:down', () => new ServerError('503', { status: 503 }));
    const histogram = histogramEmbedder();
    return {
      model: fallback([down.model, histogram.model]),
      backendCalls: () => down.calls() + histogram.calls(),
    };
  },
  inputs: [{ texts: ['hello', 'world'] }],
});

runConformance('route between two echo models', {
  task: textGeneration,
  create: async () => {
    const a = echoModel();
    const b = echoModel();
    const model = route({
      models: { a: a.model, b: b.model },
      select: (input) => ('prompt' in input ? 'a' : 'b'),
    });
    return { model, backendCalls: () => a.calls() + b.calls() };
  },
  inputs: textInputs,
});

runConformance('cache over the echo model', {
  task: textGeneration,
  create: async () => {
    const echo = echoModel();
    return { model: cache(echo.model), backendCalls: () => echo.calls() };
  },
  inputs: textInputs,
});

runConformance('cache over the histogram embedder', {
  task: embedding,
  create: async () => {
    const histogram = histogramEmbedder();
    return { model: cache(histogram.model), backendCalls: () => histogram.calls() };
  },
  inputs: [{ texts: ['hello', 'world'] }],
});

runConformance('limit over the echo model', {
  task: textGeneration,
  create: async () => {
    const echo = echoModel();
    const model = limit(echo.model, { concurrency: 1, requestsPerMinute: 1000, tokensPerMinute: 100_000 });
    return { model, backendCalls: () => echo.calls() };
  },
  inputs: textInputs,
});

runConformance('meter over the echo model', {
  task: textGeneration,
  create: async () => {
    const echo = echoModel();
    const model = meter(echo.model, { usdPerMillionInputTokens: 1, usdPerComputeSecond: 0.001 });
    return { model, backendCalls: () => echo.calls() };
  },
  inputs: textInputs,
});

runConformance('wrap over the echo model', {
  task: textGeneration,
  create: async () => {
    const echo = echoModel();
    const model = wrap(echo.model, {
      transformOutput: (output) => ({ ...output, text: output.text.toUpperCase() }),
      transformChunk: (chunk) =>
        chunk.type === 'text-delta' ? { ...chunk, text: chunk.text.toUpperCase() } : chunk,
    });
    return { model, backendCalls: () => echo.calls() };
  },
  inputs: textInputs,
});

runConformance('shadow of the echo model by another, every call sampled', {
  task: textGeneration,
  create: async () => {
    const primary = echoModel();
    const candidate = echoModel();
    const model = shadow(primary.model, candidate.model, { sampleRate: 1, onReport: () => {} });
    return { model, backendCalls: () => primary.calls() + candidate.calls() };
  },
  inputs: textInputs,
});

runConformance('fallback with a circuit breaker from a failing model to the echo model', {
  task: textGeneration,
  create: async () => {
    const down = failingModel('test:down', () => new ServerError('503', { status: 503 }));
    const echo = echoModel();
    const model = fallback([down.model, echo.model], {
      circuit: { failureThreshold: 2, cooldownMs: 60_000 },
    });
    return { model, backendCalls: () => down.calls() + echo.calls() };
  },
  inputs: textInputs,
});
