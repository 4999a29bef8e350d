// The shared conformance suite, run against the OIP v2 client's models over a loopback @mlkit/server.
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import {
  fakeChatModel,
  fakeClassifier,
  fakeEmbeddingModel,
  fakeTensorModel,
} from '../../../packages/server/test/fakes.ts';
import {
  classification,
  createOpenInference,
  embedding,
  type OpenInferenceProvider,
  tensor,
  textGeneration,
} from '../../../src/index.ts';
import { runConformance } from '../../conformance/index.ts';

async function subject() {
  const listening: Listening = await listen(
    createServer({
      models: {
        iris: fakeClassifier().model,
        bert: fakeEmbeddingModel().model,
        gpt: fakeChatModel({ delayMs: 1 }).model,
        echo: fakeTensorModel().model,
      },
    }),
    { port: 0, host: '127.0.0.1' },
  );
  let requests = 0;
  const counting: typeof fetch = (url, init) => {
    requests++;
    return fetch(url, init);
  };
  const provider: OpenInferenceProvider = createOpenInference({
    baseURL: listening.url,
    maxRetries: 0,
    fetch: counting,
  });
  return { provider, backendCalls: () => requests, cleanup: () => listening.close({ graceMs: 100 }) };
}

runConformance('OIP v2 classification over a loopback @mlkit/server', {
  task: classification,
  create: async () => {
    const { provider, ...rest } = await subject();
    return { model: provider.classification('iris'), ...rest };
  },
  inputs: [{ rows: [[5.1, 3.5, 1.4, 0.2]] }, { text: ['a b', 'c'] }],
});

runConformance('OIP v2 embedding over a loopback @mlkit/server', {
  task: embedding,
  create: async () => {
    const { provider, ...rest } = await subject();
    return { model: provider.embedding('bert'), ...rest };
  },
  inputs: [{ texts: ['hello', 'world'] }],
});

runConformance('OIP v2 tensor over a loopback @mlkit/server', {
  task: tensor,
  create: async () => {
    const { provider, ...rest } = await subject();
    return { model: provider.tensor('echo', { binary: true }), ...rest };
  },
  inputs: [{ inputs: { x: { dtype: 'float32', shape: [1, 3], data: Float32Array.of(1, 2, 3) } } }],
});

runConformance('OIP v2 generate extension over a loopback @mlkit/server', {
  task: textGeneration,
  create: async () => {
    const { provider, ...rest } = await subject();
    return { model: provider.textGeneration('gpt'), ...rest };
  },
  inputs: [{ prompt: 'one two three', temperature: 0 }],
});
