// Composite models are Models: the shared conformance suite holds for them as for any provider.
import { embedding, fallback, route, ServerError, textGeneration } from '../../src/index.ts';
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
