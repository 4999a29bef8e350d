// A browser app that calls an OpenAI-compatible server through @mlkit/core, bundled with esbuild's code
// splitting as size-limit measures it (.size-limit.js): split-bundle.test.ts serves its chunks and drives
// each kind of call from headless Chromium, checking which chunks each one loads.
import { createOpenAICompatible } from '../../../src/index.ts';

interface Settings {
  baseURL: string;
  apiKey: string;
}

const settings = (): Settings => (window as unknown as { splitSettings: Settings }).splitSettings;
const provider = () =>
  createOpenAICompatible({ name: 'split', ...settings(), dangerouslyAllowBrowser: true, maxRetries: 0 });

const app = {
  async chat(prompt: string): Promise<string> {
    return (await provider().textGeneration('chat').run({ prompt })).text;
  },
  async stream(prompt: string): Promise<string> {
    let text = '';
    for await (const chunk of provider().textGeneration('chat').stream({ prompt })) {
      if (chunk.type === 'text-delta') text += chunk.text;
    }
    return text;
  },
  async json(prompt: string, schema: Record<string, unknown>): Promise<unknown> {
    const model = provider().textGeneration('json');
    return (await model.run({ prompt, responseFormat: { type: 'json', schema } })).object;
  },
  async embed(texts: string[]): Promise<number[][]> {
    const { embeddings } = await provider().embedding('embed').run({ texts });
    return embeddings.map((vector) => [...vector]);
  },
};

/** What the page offers the test (window.splitApp). */
export type SplitApp = typeof app;

(window as unknown as { splitApp: SplitApp }).splitApp = app;
