import { embedding, textGeneration } from '../../src/index.ts';
import { echoModel, histogramEmbedder } from '../support/echo-model.ts';
import { runConformance } from './index.ts';

// The suite checks itself against two reference in-memory models.
runConformance('in-memory echo text generation', {
  task: textGeneration,
  create: async () => {
    const { model, calls } = echoModel();
    return { model, backendCalls: calls };
  },
  inputs: [
    { prompt: 'one two three', temperature: 0 },
    { messages: [{ role: 'user', content: 'a b' }], maxTokens: 1 },
  ],
});

runConformance('in-memory histogram embedding', {
  task: embedding,
  create: async () => {
    const { model, calls } = histogramEmbedder();
    return { model, backendCalls: calls };
  },
  inputs: [{ texts: ['hello', 'world'] }],
});
