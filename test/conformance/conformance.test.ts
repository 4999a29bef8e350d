import { z } from 'zod';
import { embedding, textGeneration } from '../../src/index.ts';
import { echoModel, histogramEmbedder } from '../support/echo-model.ts';
import { runConformance } from './index.ts';
import { toolModel } from './tool-model.ts';

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

runConformance('in-memory text generation with tools, json answers and no images', {
  task: textGeneration,
  create: async () => {
    const { model, calls } = toolModel();
    return { model, backendCalls: () => calls.run + calls.stream };
  },
  inputs: [{ prompt: 'one two three', temperature: 0 }],
});

runConformance('in-memory text generation with toolChoice required and a zod response schema', {
  task: textGeneration,
  create: async () => {
    const { model, calls } = toolModel();
    return { model, backendCalls: () => calls.run + calls.stream };
  },
  inputs: [{ prompt: 'one two three', temperature: 0 }],
  toolInput: {
    prompt: 'Look up order 42',
    tools: [
      { name: 'find_order', parameters: z.object({ id: z.string() }) },
      { name: 'cancel_order', parameters: z.object({ id: z.string(), reason: z.string().optional() }) },
    ],
    toolChoice: 'required',
    temperature: 0,
  },
  jsonInput: {
    prompt: 'Rate it',
    responseFormat: { type: 'json', schema: z.object({ stars: z.number().int(), summary: z.string() }) },
    temperature: 0,
  },
});

runConformance('in-memory histogram embedding', {
  task: embedding,
  create: async () => {
    const { model, calls } = histogramEmbedder();
    return { model, backendCalls: calls };
  },
  inputs: [{ texts: ['hello', 'world'] }],
});
