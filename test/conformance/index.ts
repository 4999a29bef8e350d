/**
 * The conformance suite every Model implementation runs, hosted or local. One call registers a
 * vitest `describe` block that checks the contract in src/model.ts against the task's schemas:
 *
 * @example
 * runConformance('openai-compatible chat', {
 *   task: textGeneration,
 *   create: async () => ({ model, backendCalls: () => server.requests }),
 *   inputs: [{ prompt: 'hi', temperature: 0 }],
 * });
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkOf, InputOf, Model, SchemaLike, Task } from '../../src/index.ts';
import { checkAgainstSchema, isMlkitError } from '../../src/index.ts';

export interface ConformanceSubject<T extends Task> {
  model: Model<T>;
  /** How many times the backend was reached so far (HTTP requests, or session runs for local models). */
  backendCalls(): number;
  /** Stop servers, remove files. Runs after the suite. */
  cleanup?(): Promise<void>;
}

export interface ConformanceOptions<T extends Task> {
  task: T;
  create(): Promise<ConformanceSubject<T>>;
  /** Valid inputs; for text generation they must be deterministic (temperature 0 or a seed). */
  inputs: InputOf<T>[];
  /** Inputs the schema rejects; defaults per task are added. */
  invalidInputs?: unknown[];
  /**
   * Text generation whose capabilities say `tools: true`: a deterministic call that must call a tool
   * (`toolChoice` 'required' or `{ tool }`). Default: a weather question, one tool, that tool chosen.
   */
  toolInput?: InputOf<T>;
  /**
   * Text generation whose capabilities say `jsonSchema: true`: a deterministic call with a json
   * `responseFormat` and a schema. Default: a city and its country.
   */
  jsonInput?: InputOf<T>;
}

/** The tool of the default tool call: JSON Schema parameters, one required string. */
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The current weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', description: 'The city, e.g. "Paris"' } },
    required: ['city'],
    additionalProperties: false,
  },
};

const DEFAULT_TOOL_INPUT = {
  messages: [{ role: 'user', content: 'What is the weather in Paris right now?' }],
  tools: [WEATHER_TOOL],
  toolChoice: { tool: WEATHER_TOOL.name },
  temperature: 0,
};

const DEFAULT_JSON_INPUT = {
  messages: [{ role: 'user', content: 'Name a city and the country it is in.' }],
  responseFormat: {
    type: 'json',
    name: 'city',
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, country: { type: 'string' } },
      required: ['city', 'country'],
      additionalProperties: false,
    },
  },
  temperature: 0,
};

/** A user turn with an image part, for models whose capabilities say `images: false`. */
const IMAGE_INPUT = {
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'image', image: 'https://example.com/cat.png' },
      ],
    },
  ],
  temperature: 0,
};

type GeneratedToolCall = { id: string; name: string; arguments: unknown };
type GenerationCall = {
  tools?: { name: string; parameters?: SchemaLike }[];
  toolChoice?: unknown;
  responseFormat?: { type: string; schema?: SchemaLike };
};
type GenerationOutput = {
  text: string;
  toolCalls?: GeneratedToolCall[];
  object?: unknown;
  finishReason: string;
};

const DEFAULT_INVALID: Record<string, unknown[]> = {
  'text-generation': [
    {},
    { prompt: 42 },
    { messages: [] },
    { messages: [{ role: 'bot', content: 'x' }] },
    { prompt: 'x', maxTokens: -1 },
  ],
  embedding: [{}, { texts: [] }, { texts: 'not an array' }, { texts: [1, 2] }],
  classification: [{}, { text: 7 }, { rows: [] }, { rows: [['a']] }],
  tensor: [
    {},
    { inputs: { x: { dtype: 'float32', shape: [2], data: [1, 2] } } },
    { inputs: { x: { dtype: 'float32', shape: [3], data: new Float32Array(2) } } },
  ],
};

async function collect<C>(iterable: AsyncIterable<C>): Promise<C[]> {
  const out: C[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

function expectCode(error: unknown, code: string): void {
  expect(isMlkitError(error), `expected an mlkit error, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** Each call names a tool of the input, and its arguments match that tool's parameters. */
function expectValidCalls(input: GenerationCall, calls: readonly GeneratedToolCall[]): void {
  for (const call of calls) {
    const tool = input.tools?.find((candidate) => candidate.name === call.name);
    expect(tool, `the model called "${call.name}", which is not one of the tools`).toBeDefined();
    const parameters = tool!.parameters ?? { type: 'object' };
    const check = checkAgainstSchema(parameters, call.arguments);
    expect(check.success, `arguments ${JSON.stringify(call.arguments)}: ${JSON.stringify(check)}`).toBe(true);
    if (typeof input.toolChoice === 'object' && input.toolChoice !== null) {
      expect(call.name).toBe((input.toolChoice as { tool: string }).tool);
    }
  }
}

/** The calls as the caller compares them: name and arguments (ids are the backend's to choose). */
function callsOf(calls: readonly GeneratedToolCall[]): { name: string; arguments: unknown }[] {
  return calls.map((call) => ({ name: call.name, arguments: call.arguments }));
}

export function runConformance<T extends Task>(name: string, options: ConformanceOptions<T>): void {
  const { task } = options;
  describe(`conformance: ${name}`, () => {
    let subject: ConformanceSubject<T>;
    beforeAll(async () => {
      subject = await options.create();
    });
    afterAll(async () => {
      await subject?.model.dispose();
      await subject?.cleanup?.();
    });

    it('declares specification version 1, an id, its task and capabilities', () => {
      const { model } = subject;
      expect(model.specificationVersion).toBe(1);
      expect(model.id).toMatch(/^[^:\s]+:.+/);
      expect(model.task).toBe(task.name);
      expect(typeof model.capabilities.streaming).toBe('boolean');
      expect(typeof model.capabilities.batching).toBe('boolean');
      expect(typeof model.capabilities.local).toBe('boolean');
    });

    it('returns outputs that match the task output schema', async () => {
      for (const input of options.inputs) {
        const output = await subject.model.run(input);
        const parsed = task.output.safeParse(output);
        expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
      }
    });

    it('rejects invalid input with InvalidInputError without reaching the backend', async () => {
      const before = subject.backendCalls();
      for (const input of [...(DEFAULT_INVALID[task.name] ?? []), ...(options.invalidInputs ?? [])]) {
        const error = await subject.model.run(input as InputOf<T>).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `input ${JSON.stringify(input)} was accepted`).toBeDefined();
        expectCode(error, 'invalid_input');
        expect((error as Error).message).toMatch(/input/);
      }
      expect(subject.backendCalls()).toBe(before);
    });

    it('rejects at once with AbortError when the signal is already aborted', async () => {
      const before = subject.backendCalls();
      const controller = new AbortController();
      controller.abort();
      const error = await subject.model
        .run(options.inputs[0]!, { signal: controller.signal })
        .catch((e: unknown) => e);
      expectCode(error, 'abort');
      expect(subject.backendCalls()).toBe(before);
    });

    if (task.chunk) {
      it('streams chunks that match the chunk schema and concatenate to run()', async () => {
        if (!subject.model.capabilities.streaming)
          return expect(subject.model.capabilities.streaming).toBe(false);
        for (const input of options.inputs) {
          const output = (await subject.model.run(input)) as {
            text: string;
            finishReason: string;
            usage: any;
          };
          const chunks = (await collect(subject.model.stream(input))) as ChunkOf<T>[] as any[];
          for (const chunk of chunks) {
            const parsed = task.chunk!.safeParse(chunk);
            expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
          }
          const last = chunks.at(-1);
          expect(last?.type).toBe('finish');
          expect(chunks.filter((c) => c.type === 'finish')).toHaveLength(1);
          const text = chunks
            .filter((c) => c.type === 'text-delta')
            .map((c) => c.text)
            .join('');
          expect(text).toBe(output.text);
          expect(last.finishReason).toBe(output.finishReason);
          expect(last.usage.inputTokens).toBe(output.usage.inputTokens);
          expect(last.usage.outputTokens).toBe(output.usage.outputTokens);
        }
      });

      it('stops a stream with AbortError when aborted after the first chunk', async () => {
        if (!subject.model.capabilities.streaming)
          return expect(subject.model.capabilities.streaming).toBe(false);
        const controller = new AbortController();
        const seen: unknown[] = [];
        const error = await (async () => {
          for await (const chunk of subject.model.stream(options.inputs[0]!, { signal: controller.signal })) {
            seen.push(chunk);
            controller.abort();
          }
        })().catch((e: unknown) => e);
        expect(seen.length).toBeGreaterThanOrEqual(1);
        // A stream whose only chunk was also its last may finish before the abort is seen.
        if (error !== undefined) expectCode(error, 'abort');
        else expect((seen.at(-1) as { type: string }).type).toBe('finish');
      });
    } else {
      it('refuses stream() for a task that does not stream', () => {
        let error: unknown;
        try {
          subject.model.stream(options.inputs[0]!);
        } catch (e) {
          error = e;
        }
        expectCode(error, 'unsupported');
      });
    }

    if (task.name === 'text-generation') textGenerationFeatures(options, () => subject);

    it('disposes idempotently and refuses calls afterwards', async () => {
      const fresh = await options.create();
      await fresh.model.dispose();
      await fresh.model.dispose();
      const error = await fresh.model.run(options.inputs[0]!).catch((e: unknown) => e);
      expectCode(error, 'unsupported');
      expect((error as Error).message).toMatch(/disposed/);
      await fresh.cleanup?.();
    });
  });
}

/**
 * Tools, json answers and image refusal, each checked only where the model's capabilities claim it
 * (`tools: true`, `jsonSchema: true`, `images: false`), so a model is held to what it says it does.
 */
function textGenerationFeatures<T extends Task>(
  options: ConformanceOptions<T>,
  current: () => ConformanceSubject<T>,
): void {
  const { task } = options;
  const toolInput = (options.toolInput ?? DEFAULT_TOOL_INPUT) as InputOf<T>;
  const jsonInput = (options.jsonInput ?? DEFAULT_JSON_INPUT) as InputOf<T>;
  const capabilities = () => current().model.capabilities;

  it('calls a required tool with arguments that match its parameters (capabilities.tools)', async (context) => {
    if (capabilities().tools !== true) return context.skip();
    const output = (await current().model.run(toolInput)) as GenerationOutput;
    const parsed = task.output.safeParse(output);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
    expect(output.finishReason).toBe('tool-calls');
    expect(output.toolCalls?.length ?? 0).toBeGreaterThanOrEqual(1);
    for (const call of output.toolCalls!) expect(call.id).not.toBe('');
    expectValidCalls(toolInput as GenerationCall, output.toolCalls!);
  });

  it('streams tool-call chunks in order before the finish, the same calls as run() (capabilities.tools)', async (context) => {
    if (capabilities().tools !== true || !capabilities().streaming) return context.skip();
    const output = (await current().model.run(toolInput)) as GenerationOutput;
    const chunks = (await collect(current().model.stream(toolInput))) as any[];
    for (const chunk of chunks) {
      const parsed = task.chunk!.safeParse(chunk);
      expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
    }
    const finishAt = chunks.findIndex((chunk) => chunk.type === 'finish');
    expect(finishAt).toBe(chunks.length - 1);
    expect(chunks[finishAt].finishReason).toBe('tool-calls');
    const calls = chunks.filter((chunk) => chunk.type === 'tool-call');
    expect(calls.map((call) => call.index)).toEqual(calls.map((_, index) => index));
    for (const [at, chunk] of chunks.entries()) {
      if (chunk.type !== 'tool-call-delta') continue;
      const completed = chunks.findIndex((each) => each.type === 'tool-call' && each.index === chunk.index);
      expect(completed, `tool-call-delta ${chunk.index} came after its tool-call`).toBeGreaterThan(at);
    }
    expectValidCalls(toolInput as GenerationCall, calls);
    expect(callsOf(calls)).toEqual(callsOf(output.toolCalls ?? []));
  });

  it('answers a json responseFormat with an object that matches the schema and equals the parsed text (capabilities.jsonSchema)', async (context) => {
    if (capabilities().jsonSchema !== true) return context.skip();
    const output = (await current().model.run(jsonInput)) as GenerationOutput;
    expect(output.finishReason).toBe('stop');
    expect(output.object).toBeDefined();
    const schema = (jsonInput as GenerationCall).responseFormat?.schema;
    if (schema) {
      const check = checkAgainstSchema(schema, output.object);
      expect(check.success, JSON.stringify(check)).toBe(true);
    }
    expect(output.object).toEqual(JSON.parse(output.text));
  });

  it('streams a json answer whose finish chunk carries the parsed object (capabilities.jsonSchema)', async (context) => {
    if (capabilities().jsonSchema !== true || !capabilities().streaming) return context.skip();
    const chunks = (await collect(current().model.stream(jsonInput))) as any[];
    const text = chunks
      .filter((chunk) => chunk.type === 'text-delta')
      .map((chunk) => chunk.text)
      .join('');
    const finish = chunks.at(-1);
    expect(finish.type).toBe('finish');
    expect(finish.object).toEqual(JSON.parse(text));
  });

  it('refuses an image part before reaching the backend (capabilities.images false)', async (context) => {
    if (capabilities().images !== false) return context.skip();
    const before = current().backendCalls();
    const error = await current()
      .model.run(IMAGE_INPUT as InputOf<T>)
      .catch((e: unknown) => e);
    expect(isMlkitError(error), `expected an mlkit error, got ${String(error)}`).toBe(true);
    expect(['unsupported', 'invalid_input']).toContain((error as { code: string }).code);
    if (capabilities().streaming) {
      const streamed = await collect(current().model.stream(IMAGE_INPUT as InputOf<T>)).catch(
        (e: unknown) => e,
      );
      expect(['unsupported', 'invalid_input']).toContain((streamed as { code?: string }).code);
    }
    expect(current().backendCalls()).toBe(before);
  });
}
