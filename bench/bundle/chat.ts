// One OpenAI-compatible chat call, as a browser app writes it: the bundle size-limit measures (.size-limit.js).
import { createOpenAICompatible } from '@mlkit/core';

const model = createOpenAICompatible({
  name: 'x',
  baseURL: 'https://example.com/v1',
  apiKey: 'k',
}).textGeneration('m');
const result = await model.run({ prompt: 'hi' });
console.log(result.text);
