// The shared conformance suite, run against the provider's models over a loopback socket.
import { createOpenAICompatible, embedding, textGeneration } from '../../../src/index.ts';
import { runConformance } from '../../conformance/index.ts';
import { startOpenAIServer } from '../../support/openai-server.ts';

async function subject() {
  const server = await startOpenAIServer({ chunkDelayMs: 1 });
  const provider = createOpenAICompatible({ name: 'loopback', baseURL: server.url, maxRetries: 0 });
  return { server, provider, backendCalls: () => server.stats.requests, cleanup: () => server.close() };
}

runConformance('openai-compatible text generation over a loopback server', {
  task: textGeneration,
  create: async () => {
    const { provider, backendCalls, cleanup } = await subject();
    return { model: provider.textGeneration('echo-1'), backendCalls, cleanup };
  },
  inputs: [
    { prompt: 'one two three', temperature: 0 },
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'ä ö ü 🚀' },
      ],
      maxTokens: 3,
      seed: 1,
    },
  ],
});

runConformance('openai-compatible embedding over a loopback server', {
  task: embedding,
  create: async () => {
    const { provider, backendCalls, cleanup } = await subject();
    return { model: provider.embedding('embed-1', { maxBatchSize: 2 }), backendCalls, cleanup };
  },
  inputs: [{ texts: ['hello', 'world', 'again'] }],
});
