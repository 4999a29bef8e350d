// Local text generation feeds the KV cache back: after the first step (the whole prompt), every
// decoder step feeds ONE new token with a past whose sequence length grows by one each step.
// Without the cache the greedy text is the same, only slower, so only the feeds can show it.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/index.node.ts';
import { recordSessions } from './ort-spy.ts';
import { fixture } from './support.ts';

const PAST = /^past_key_values\.\d+\.(key|value)$/;

/** The shapes of each session.run's feeds, in order. */
async function generationFeeds(input: { prompt: string; maxTokens: number }) {
  const steps: Array<Record<string, readonly number[]>> = [];
  const { result: model } = await recordSessions(
    () => loadModel(fixture('tiny-gpt'), { task: 'text-generation' }),
    (record) => {
      record.onRun = (feeds) => {
        steps.push(
          Object.fromEntries(Object.entries(feeds).map(([name, tensor]) => [name, [...tensor.dims]])),
        );
      };
    },
  );
  try {
    const output = await model.run(input);
    return { steps, output };
  } finally {
    await model.dispose();
  }
}

describe('KV cache in local text generation', () => {
  it('feeds the whole prompt first, then one new token per step with a past one longer each step', async () => {
    const { steps, output } = await generationFeeds({ prompt: 'the cat sat on the', maxTokens: 6 });
    const promptTokens = output.usage.inputTokens!;
    const pastNames = Object.keys(steps[0]!).filter((name) => PAST.test(name));
    expect(pastNames.length).toBeGreaterThan(0);
    // At least three steps, so that the growth of the past is seen.
    expect(output.usage.outputTokens).toBeGreaterThanOrEqual(3);
    expect(steps).toHaveLength(output.usage.outputTokens!);

    // input_ids is [1, sequence]: the prompt, then a single token each step.
    expect(steps.map((feeds) => feeds.input_ids![1])).toEqual(
      steps.map((_, i) => (i === 0 ? promptTokens : 1)),
    );
    // Each past_key_values.N.key|value is [1, heads, past sequence, head dim]: 0, prompt, prompt + 1, ...
    for (const name of pastNames) {
      expect(steps.map((feeds) => feeds[name]![2])).toEqual(
        steps.map((_, i) => (i === 0 ? 0 : promptTokens + i - 1)),
      );
    }
  });
});
