// A provider outside the repository proves itself the way its author would: the suite from
// '@mlkit/core/testing', registered on vitest, over a model built with '@mlkit/core' alone.
import { textGeneration } from '@mlkit/core';
import { checkConformance, runConformance } from '@mlkit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShout, shoutBackend } from './provider.ts';

async function subject() {
  const { backend, calls } = shoutBackend();
  return { model: createShout(backend), backendCalls: calls };
}

const inputs = [
  { prompt: 'hello there world', temperature: 0 },
  { messages: [{ role: 'user' as const, content: 'one two three' }], maxTokens: 2 },
];

runConformance(
  'shout, a provider written against the public API',
  { task: textGeneration, create: subject, inputs },
  { describe, it, beforeAll, afterAll },
);

describe('the same provider through checkConformance', () => {
  it('passes every check, and skips tools and json answers, which it does not claim', async () => {
    const results = await checkConformance({ task: textGeneration, create: subject, inputs });
    expect(results.filter((result) => result.status === 'failed')).toEqual([]);
    expect(results.filter((result) => result.status === 'skipped').map((result) => result.name)).toEqual([
      'calls a required tool with arguments that match its parameters (capabilities.tools)',
      'streams tool-call chunks in order before the finish, the same calls as run() (capabilities.tools)',
      'answers a json responseFormat with an object that matches the schema and equals the parsed text (capabilities.jsonSchema)',
      'streams a json answer whose finish chunk carries the parsed object (capabilities.jsonSchema)',
    ]);
  });
});
