// Composite models pass tool calls, json objects, refusals and raw finish reasons through as their
// member gave them: the member checked its output already, and zod transforms in the schemas are
// not undone by a second check.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  cache,
  defineModel,
  fallback,
  limit,
  type Model,
  meter,
  route,
  ServerError,
  type ShadowReport,
  shadow,
  type TextGenerationChunk,
  type TextGenerationInput,
  type TextGenerationOutput,
  type TextGenerationTask,
  textGeneration,
  wrap,
} from '../../src/index.ts';
import { collect, failingModel } from './models.ts';

const usage = { inputTokens: 2, outputTokens: 3 };

/** Tool parameters whose zod transform turns the model's text into a Date. */
const remindParameters = z.object({ when: z.string().transform((text) => new Date(text)) });
/** A response schema whose zod transform splits the model's text. */
const tagsSchema = z.object({ tags: z.string().transform((text) => text.split(',')) });

const toolInput: TextGenerationInput = {
  prompt: 'Remind me on May 1st',
  tools: [{ name: 'remind', parameters: remindParameters }],
  toolChoice: 'required',
  temperature: 0,
};
const jsonInput: TextGenerationInput = {
  prompt: 'Tag it',
  responseFormat: { type: 'json', schema: tagsSchema },
  temperature: 0,
};
const refusedInput: TextGenerationInput = { prompt: 'refuse', temperature: 0 };

/**
 * A member that calls `remind` with `when` (tools), answers tags (json) or refuses, by the input;
 * `when` changes the arguments so two members can disagree.
 */
function memberModel(id = 'test:member', when = '2024-05-01T00:00:00.000Z') {
  let calls = 0;
  const args = JSON.stringify({ when });
  const model = defineModel({
    id,
    task: textGeneration,
    capabilities: { streaming: true, batching: false, local: true, tools: true, jsonSchema: true },
    async run(input): Promise<TextGenerationOutput> {
      calls++;
      if (input.tools?.length) {
        return {
          text: '',
          toolCalls: [{ id: 'call_1', name: 'remind', arguments: args }],
          finishReason: 'tool-calls',
          rawFinishReason: 'tool_calls',
          usage,
        };
      }
      if (input.responseFormat?.type === 'json')
        return { text: '{"tags":"a,b"}', finishReason: 'stop', usage };
      return {
        text: '',
        refusal: 'I cannot.',
        finishReason: 'content-filter',
        rawFinishReason: 'content_filter',
        usage,
      };
    },
    async *stream(input): AsyncGenerator<TextGenerationChunk> {
      calls++;
      if (input.tools?.length) {
        const call = { index: 0, id: 'call_1', name: 'remind' };
        yield { type: 'tool-call-delta', ...call, argumentsDelta: args.slice(0, 5) };
        yield { type: 'tool-call-delta', ...call, argumentsDelta: args.slice(5) };
        yield { type: 'tool-call', ...call, arguments: args };
        yield { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls', usage };
        return;
      }
      if (input.responseFormat?.type === 'json') {
        yield { type: 'text-delta', text: '{"tags":' };
        yield { type: 'text-delta', text: '"a,b"}' };
        yield { type: 'finish', finishReason: 'stop', usage };
        return;
      }
      yield {
        type: 'finish',
        finishReason: 'content-filter',
        rawFinishReason: 'content_filter',
        refusal: 'I cannot.',
        usage,
      };
    },
  });
  return { model, calls: () => calls };
}

/** Usage aside (meter adds costUsd to it), what a caller compares. */
function withoutUsage(value: object): Record<string, unknown> {
  const { usage: _usage, ...rest } = value as Record<string, unknown>;
  return rest;
}

const composites: [string, (member: Model<TextGenerationTask>) => Model<TextGenerationTask>][] = [
  [
    'fallback',
    (member) =>
      fallback([failingModel('test:down', () => new ServerError('503', { status: 503 })).model, member]),
  ],
  ['route', (member) => route({ models: { only: member }, select: () => 'only' })],
  ['cache', (member) => cache(member)],
  ['limit', (member) => limit(member, { concurrency: 1 })],
  ['meter', (member) => meter(member, { usdPerRequest: 0.01 })],
  [
    'shadow',
    (member) => shadow(member, memberModel('test:candidate').model, { sampleRate: 1, onReport: () => {} }),
  ],
  ['wrap', (member) => wrap(member, {})],
];

describe.each(composites)('%s passes text-generation fields through', (_name, compose) => {
  it('returns tool calls with zod-transformed arguments and the raw finish reason', async () => {
    const output = await compose(memberModel().model).run(toolInput);
    expect(withoutUsage(output)).toEqual({
      text: '',
      toolCalls: [
        { id: 'call_1', name: 'remind', arguments: { when: new Date('2024-05-01T00:00:00.000Z') } },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
    });
  });

  it('returns the json object as the response schema transformed it', async () => {
    const output = await compose(memberModel().model).run(jsonInput);
    expect(output.object).toEqual({ tags: ['a', 'b'] });
    expect(output.text).toBe('{"tags":"a,b"}');
  });

  it('returns a refusal with its raw finish reason', async () => {
    const output = await compose(memberModel().model).run(refusedInput);
    expect(withoutUsage(output)).toEqual({
      text: '',
      refusal: 'I cannot.',
      finishReason: 'content-filter',
      rawFinishReason: 'content_filter',
    });
  });

  it('streams tool-call-delta and tool-call chunks as the member gave them', async () => {
    const member = memberModel().model;
    const expected = (await collect(member.stream(toolInput))).map(withoutUsage);
    const chunks = (await collect(compose(member).stream(toolInput))).map(withoutUsage);
    expect(chunks).toEqual(expected);
    expect(chunks.map((chunk) => chunk.type)).toEqual([
      'tool-call-delta',
      'tool-call-delta',
      'tool-call',
      'finish',
    ]);
    expect(chunks[2]).toMatchObject({ arguments: { when: new Date('2024-05-01T00:00:00.000Z') } });
  });

  it('streams a finish chunk with the json object and one with the refusal', async () => {
    const model = compose(memberModel().model);
    const json = await collect(model.stream(jsonInput));
    expect(json.at(-1)).toMatchObject({ type: 'finish', object: { tags: ['a', 'b'] } });
    const refused = await collect(model.stream(refusedInput));
    expect(refused.at(-1)).toMatchObject({
      type: 'finish',
      refusal: 'I cannot.',
      rawFinishReason: 'content_filter',
    });
  });
});

describe('cache keys of text generation', () => {
  it('answers a repeated tool call from the cache', async () => {
    const member = memberModel();
    const model = cache(member.model);
    await model.run(toolInput);
    const again = await model.run(toolInput);
    expect(member.calls()).toBe(1);
    expect(again.toolCalls![0]!.arguments).toEqual({ when: new Date('2024-05-01T00:00:00.000Z') });
  });

  it('replays cached tool-call chunks', async () => {
    const member = memberModel();
    const model = cache(member.model);
    const first = await collect(model.stream(toolInput));
    const second = await collect(model.stream(toolInput));
    expect(second).toEqual(first);
    expect(member.calls()).toBe(1);
  });

  it('keys by the tools: other parameters are another call', async () => {
    const member = memberModel();
    const model = cache(member.model);
    await model.run(toolInput);
    const other = z.object({
      when: z.string().transform((text) => new Date(text)),
      note: z.string().optional(),
    });
    await model.run({ ...toolInput, tools: [{ name: 'remind', parameters: other }] });
    expect(member.calls()).toBe(2);
  });

  it('keys a zod schema by its JSON Schema: an equal schema built again is the same call', async () => {
    const member = memberModel();
    const model = cache(member.model);
    await model.run(toolInput);
    const rebuilt = z.object({ when: z.string().transform((text) => new Date(text)) });
    await model.run({ ...toolInput, tools: [{ name: 'remind', parameters: rebuilt }] });
    expect(member.calls()).toBe(1);
  });

  it('keys by the toolChoice', async () => {
    const member = memberModel();
    const model = cache(member.model);
    await model.run(toolInput);
    await model.run({ ...toolInput, toolChoice: { tool: 'remind' } });
    expect(member.calls()).toBe(2);
  });

  it('keys by the responseFormat schema', async () => {
    const member = memberModel();
    const model = cache(member.model);
    await model.run(jsonInput);
    await model.run({
      ...jsonInput,
      responseFormat: {
        type: 'json',
        schema: z.object({ tags: z.string().transform((text) => text.split(',')), n: z.number().optional() }),
      },
    });
    expect(member.calls()).toBe(2);
  });
});

describe('shadow compares tool calls and objects', () => {
  /** The report of one sampled streamed call of `input`, primary and candidate given. */
  async function streamedReport(input: TextGenerationInput, candidateWhen: string): Promise<ShadowReport> {
    let resolve!: (report: ShadowReport) => void;
    const reported = new Promise<ShadowReport>((done) => (resolve = done));
    const model = shadow(
      memberModel('test:primary').model,
      memberModel('test:candidate', candidateWhen).model,
      {
        sampleRate: 1,
        onReport: (report) => resolve(report as ShadowReport),
      },
    );
    await collect(model.stream(input));
    return reported;
  }

  it('agrees when a streamed primary made the same tool calls as the candidate', async () => {
    const report = await streamedReport(toolInput, '2024-05-01T00:00:00.000Z');
    expect(report.agreement).toBe(1);
  });

  it('disagrees when the tool-call arguments differ, though both texts are empty', async () => {
    const report = await streamedReport(toolInput, '2024-06-01T00:00:00.000Z');
    expect(report.agreement).toBe(0);
  });

  it('hands compare() the streamed primary rebuilt as run() gives it: tool calls, raw finish reason', async () => {
    let rebuilt: TextGenerationOutput | undefined;
    const primary = memberModel('test:primary').model;
    const model = shadow(primary, memberModel('test:candidate').model, {
      sampleRate: 1,
      onReport: () => {},
      compare: (output) => {
        rebuilt = output;
        return 1;
      },
    });
    await collect(model.stream(toolInput));
    await expect.poll(() => rebuilt).toBeDefined();
    expect(withoutUsage(rebuilt!)).toEqual(withoutUsage(await primary.run(toolInput)));
  });

  it('agrees on a streamed json answer rebuilt from its finish chunk', async () => {
    const report = await streamedReport(jsonInput, 'unused');
    expect(report.agreement).toBe(1);
  });
});

describe('cache keys of image parts', () => {
  const withImage = (image: URL | ArrayBuffer): TextGenerationInput => ({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', image, ...(image instanceof ArrayBuffer && { mediaType: 'image/png' }) },
        ],
      },
    ],
    temperature: 0,
  });

  it('keys images given as URL objects by their address', async () => {
    const member = memberModel();
    const model = cache(member.model);
    await model.run(withImage(new URL('https://example.com/cat.png')));
    await model.run(withImage(new URL('https://example.com/dog.png')));
    await model.run(withImage(new URL('https://example.com/cat.png')));
    expect(member.calls()).toBe(2);
  });

  it('keys images given as ArrayBuffers by their bytes', async () => {
    const member = memberModel();
    const model = cache(member.model);
    await model.run(withImage(new Uint8Array([1, 2, 3]).buffer));
    await model.run(withImage(new Uint8Array([4, 5, 6]).buffer));
    await model.run(withImage(new Uint8Array([1, 2, 3]).buffer));
    expect(member.calls()).toBe(2);
  });
});
