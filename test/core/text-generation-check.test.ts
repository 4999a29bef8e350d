// The check every text-generation model applies to what it returns (Task.check, run by defineModel):
// tool-call arguments parsed and validated, json answers parsed and validated, InvalidOutputError
// otherwise. The models here return canned outputs: the thing under test is the check.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineModel,
  InvalidOutputError,
  type TextGenerationChunk,
  type TextGenerationInput,
  type TextGenerationOutput,
  textGeneration,
} from '../../src/index.ts';

const usage = { inputTokens: 1, outputTokens: 1 };

/** A model that answers `output` from run() and `chunks` from stream(), whatever the input. */
function canned(output: Partial<TextGenerationOutput>, chunks: TextGenerationChunk[] = []) {
  const answer: TextGenerationOutput = { text: '', finishReason: 'stop', usage, ...output };
  const streamed = chunks;
  return defineModel({
    id: 'test:canned',
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, tools: true, jsonSchema: true },
    async run() {
      return answer;
    },
    async *stream() {
      yield* streamed;
    },
  });
}

async function collect<C>(stream: AsyncIterable<C>): Promise<C[]> {
  const out: C[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

async function invalidOutput(promise: Promise<unknown>): Promise<InvalidOutputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidOutputError);
  return error as InvalidOutputError;
}

const weather = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } },
    required: ['city'],
    additionalProperties: false,
  },
};
const withTool: TextGenerationInput = { prompt: 'Weather in Paris?', tools: [weather] };
const call = (args: unknown, name = 'get_weather') => ({ id: 'call_1', name, arguments: args });
const toolCalls = (args: unknown, name?: string): Partial<TextGenerationOutput> => ({
  toolCalls: [call(args, name)],
  finishReason: 'tool-calls',
});

const citySchema = {
  type: 'object',
  properties: { city: { type: 'string' }, population: { type: 'number', minimum: 0 } },
  required: ['city', 'population'],
  additionalProperties: false,
};
const asJson: TextGenerationInput = {
  prompt: 'A city?',
  responseFormat: { type: 'json', schema: citySchema },
};

describe('text-generation check: tool calls from run()', () => {
  it('parses arguments given as a JSON string', async () => {
    const output = await canned(toolCalls('{"city":"Paris","days":2}')).run(withTool);
    expect(output.toolCalls).toEqual([call({ city: 'Paris', days: 2 })]);
  });

  it('accepts arguments given already parsed', async () => {
    const output = await canned(toolCalls({ city: 'Paris' })).run(withTool);
    expect(output.toolCalls![0]!.arguments).toEqual({ city: 'Paris' });
  });

  it('reads empty arguments text as an empty object for a tool without parameters', async () => {
    const output = await canned(toolCalls('', 'now')).run({ prompt: 'Time?', tools: [{ name: 'now' }] });
    expect(output.toolCalls![0]!.arguments).toEqual({});
  });

  it('refuses arguments that do not match the parameters, with text, toolName and issues', async () => {
    const raw = '{"city":"Paris","days":0}';
    const error = await invalidOutput(canned(toolCalls(raw)).run(withTool));
    expect(error.text).toBe(raw);
    expect(error.toolName).toBe('get_weather');
    expect(error.issues).toEqual([{ path: '.days', message: expect.stringMatching(/less than 1/) }]);
    expect(error.message).toMatch(/tool "get_weather" with arguments that do not match its parameters/);
  });

  it('refuses a call of a tool that was not given, naming the tools', async () => {
    const error = await invalidOutput(canned(toolCalls('{}', 'get_time')).run(withTool));
    expect(error.toolName).toBe('get_time');
    expect(error.text).toBe('{}');
    expect(error.issues).toEqual([{ path: 'name', message: 'unknown tool "get_time"' }]);
    expect(error.message).toMatch(/\(get_weather\)/);
  });

  it('refuses tool calls when the input had no tools', async () => {
    const error = await invalidOutput(canned(toolCalls({ city: 'Paris' })).run({ prompt: 'Weather?' }));
    expect(error.toolName).toBe('get_weather');
    expect(error.message).toMatch(/none were given/);
  });

  it('refuses arguments that are not JSON, keeping the raw text', async () => {
    const raw = '{"city": Paris}';
    const error = await invalidOutput(canned(toolCalls(raw)).run(withTool));
    expect(error.text).toBe(raw);
    expect(error.toolName).toBe('get_weather');
    expect(error.issues).toEqual([{ path: 'arguments', message: expect.any(String) }]);
    expect(error.message).toMatch(/not JSON/);
  });

  it('gives the transformed value of zod parameters with a transform', async () => {
    const parameters = z.object({ when: z.string().transform((text) => new Date(text)) });
    const output = await canned(toolCalls('{"when":"2024-05-01T00:00:00Z"}', 'remind')).run({
      prompt: 'Remind me',
      tools: [{ name: 'remind', parameters }],
    });
    expect(output.toolCalls![0]!.arguments).toEqual({ when: new Date('2024-05-01T00:00:00Z') });
  });

  it('applies zod parameter defaults to the arguments', async () => {
    const parameters = z.object({ city: z.string(), unit: z.enum(['c', 'f']).default('c') });
    const output = await canned(toolCalls('{"city":"Paris"}')).run({
      prompt: 'x',
      tools: [{ name: 'get_weather', parameters }],
    });
    expect(output.toolCalls![0]!.arguments).toEqual({ city: 'Paris', unit: 'c' });
  });
});

describe('text-generation check: json answers from run()', () => {
  it('sets object to the parsed answer when it matches the schema', async () => {
    const text = '{"city":"Paris","population":2100000}';
    const output = await canned({ text }).run(asJson);
    expect(output.object).toEqual({ city: 'Paris', population: 2100000 });
  });

  it('refuses an answer that does not match the schema, with text and issues', async () => {
    const text = '{"city":"Paris"}';
    const error = await invalidOutput(canned({ text }).run(asJson));
    expect(error.text).toBe(text);
    expect(error.toolName).toBeUndefined();
    expect(error.issues.map((issue) => issue.path)).toEqual(['.population']);
    expect(error.message).toMatch(/does not match the response schema/);
  });

  it('refuses an answer cut off at maxTokens, saying to raise maxTokens', async () => {
    const text = '{"city":"Par';
    const error = await invalidOutput(
      canned({ text, finishReason: 'length' }).run({ ...asJson, maxTokens: 8 }),
    );
    expect(error.text).toBe(text);
    expect(error.issues).toEqual([{ path: '(root)', message: expect.stringMatching(/incomplete/) }]);
    expect(error.message).toMatch(/cut off at maxTokens \(8\).*raise maxTokens/);
  });

  it('refuses an answer that is not JSON', async () => {
    const error = await invalidOutput(canned({ text: 'Paris, 2.1 million' }).run(asJson));
    expect(error.text).toBe('Paris, 2.1 million');
    expect(error.message).toMatch(/not JSON/);
  });

  it('refuses a JSON answer that is not an object when there is no schema', async () => {
    const error = await invalidOutput(
      canned({ text: '[1,2]' }).run({ prompt: 'x', responseFormat: { type: 'json' } }),
    );
    expect(error.issues).toEqual([{ path: '(root)', message: 'expected a JSON object' }]);
  });

  it('accepts any JSON object when there is no schema', async () => {
    const output = await canned({ text: '{"anything":[1]}' }).run({
      prompt: 'x',
      responseFormat: { type: 'json' },
    });
    expect(output.object).toEqual({ anything: [1] });
  });

  it('gives the transformed value of a zod response schema', async () => {
    const schema = z.object({ tags: z.string().transform((text) => text.split(',')) });
    const output = await canned({ text: '{"tags":"a,b"}' }).run({
      prompt: 'x',
      responseFormat: { type: 'json', schema },
    });
    expect(output.object).toEqual({ tags: ['a', 'b'] });
  });

  it('leaves a refusal alone: no object, no error', async () => {
    const output = await canned({ text: '', refusal: 'I cannot help with that.' }).run(asJson);
    expect(output.refusal).toBe('I cannot help with that.');
    expect(output.object).toBeUndefined();
  });
});

describe('text-generation check: streams', () => {
  it('parses and validates a tool-call chunk, passing its deltas through', async () => {
    const delta: TextGenerationChunk = {
      type: 'tool-call-delta',
      index: 0,
      id: 'call_1',
      name: 'get_weather',
      argumentsDelta: '{"city":"Paris"}',
    };
    const chunks = await collect(
      canned({}, [
        delta,
        { type: 'tool-call', index: 0, id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'finish', finishReason: 'tool-calls', usage },
      ]).stream(withTool),
    );
    expect(chunks[0]).toBe(delta);
    expect(chunks[1]).toEqual({
      type: 'tool-call',
      index: 0,
      id: 'call_1',
      name: 'get_weather',
      arguments: { city: 'Paris' },
    });
    expect(chunks[2]).toEqual({ type: 'finish', finishReason: 'tool-calls', usage });
  });

  it('fails the stream with InvalidOutputError at a tool-call chunk whose arguments do not match', async () => {
    const seen: TextGenerationChunk[] = [];
    const model = canned({}, [
      { type: 'text-delta', text: 'Let me check.' },
      { type: 'tool-call', index: 0, id: 'call_1', name: 'get_weather', arguments: '{"town":"Paris"}' },
      { type: 'finish', finishReason: 'tool-calls', usage },
    ]);
    const error = await invalidOutput(
      (async () => {
        for await (const chunk of model.stream(withTool)) seen.push(chunk);
      })(),
    );
    expect(seen).toEqual([{ type: 'text-delta', text: 'Let me check.' }]);
    expect(error.toolName).toBe('get_weather');
    expect(error.text).toBe('{"town":"Paris"}');
  });

  it('sets finish.object to the parsed answer for json', async () => {
    const chunks = await collect(
      canned({}, [
        { type: 'text-delta', text: '{"city":"Paris",' },
        { type: 'text-delta', text: '"population":2100000}' },
        { type: 'finish', finishReason: 'stop', usage },
      ]).stream(asJson),
    );
    expect(chunks.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage,
      object: { city: 'Paris', population: 2100000 },
    });
  });

  it('fails a json stream whose answer does not match the schema at the finish', async () => {
    const model = canned({}, [
      { type: 'text-delta', text: '{"city":7}' },
      { type: 'finish', finishReason: 'stop', usage },
    ]);
    const error = await invalidOutput(collect(model.stream(asJson)));
    expect(error.text).toBe('{"city":7}');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['.city', '.population']);
  });

  it('fails a json stream cut off at maxTokens', async () => {
    const model = canned({}, [
      { type: 'text-delta', text: '{"city":' },
      { type: 'finish', finishReason: 'length', usage },
    ]);
    const error = await invalidOutput(collect(model.stream(asJson)));
    expect(error.message).toMatch(/raise maxTokens/);
  });
});

describe('text-generation check: text-only calls are left alone', () => {
  it('returns the very same output object from run()', async () => {
    const answer: TextGenerationOutput = { text: 'Hello', finishReason: 'stop', usage };
    const model = defineModel({
      id: 'test:same',
      task: textGeneration,
      capabilities: { streaming: false, batching: false, local: true },
      run: async () => answer,
    });
    expect(await model.run({ prompt: 'Hi' })).toBe(answer);
  });

  it('returns the very same chunk iterable from the stream check', () => {
    const chunks: AsyncIterable<TextGenerationChunk> = (async function* () {
      yield { type: 'finish', finishReason: 'stop', usage } as const;
    })();
    const input = textGeneration.input.parse({ prompt: 'Hi' });
    expect(textGeneration.check!.stream(input, chunks)).toBe(chunks);
  });

  it('yields the very same chunk objects through a model', async () => {
    const text: TextGenerationChunk = { type: 'text-delta', text: 'Hello' };
    const finish: TextGenerationChunk = { type: 'finish', finishReason: 'stop', usage };
    const chunks = await collect(canned({}, [text, finish]).stream({ prompt: 'Hi' }));
    expect(chunks[0]).toBe(text);
    expect(chunks[1]).toBe(finish);
  });
});
