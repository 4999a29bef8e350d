// The checks themselves: the Model contract (src/model.ts) held against the task's schemas. Each is
// a named async function over one shared subject, so any runner can register them (see run.ts).
import type { Model } from '../model.ts';
import type { SchemaLike } from '../tasks/json-schema.ts';
import type { ChunkOf, InputOf, Task } from '../tasks/task.ts';
import { safeParse } from '../zod.ts';
import {
  assert,
  assertEqual,
  assertMatchesSchema,
  assertMlkitCode,
  assertParsed,
  assertSameJson,
  show,
} from './assert.ts';
import { DEFAULT_JSON_INPUT, DEFAULT_TOOL_INPUT, IMAGE_INPUT, INVALID_INPUTS } from './inputs.ts';

/** The model under test and how to observe its backend. */
export interface ConformanceSubject<T extends Task> {
  /** The model the checks call. */
  model: Model<T>;
  /** How many times the backend was reached so far (HTTP requests, or session runs for local models). */
  backendCalls(): number;
  /** Stop servers, remove files. Runs after the suite, once the model is disposed. */
  cleanup?(): Promise<void>;
}

/** What the suite needs to know about a model: its task, how to make one, and inputs it answers. */
export interface ConformanceOptions<T extends Task> {
  /** The task the model implements, e.g. `textGeneration`. */
  task: T;
  /** Makes a fresh model. Called once for the shared subject and once more for the dispose check. */
  create(): Promise<ConformanceSubject<T>>;
  /** Valid inputs, at least one; for text generation they must be deterministic (temperature 0 or a seed). */
  inputs: readonly InputOf<T>[];
  /** Inputs the schema rejects; the suite adds its own for the built-in tasks. */
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

/** A check that does not apply to the model (its capabilities do not claim the feature), and why. */
export interface ConformanceSkip {
  /** Why the check does not apply, e.g. "capabilities.tools is not true". */
  skipped: string;
}

/** One rule of the contract, runnable on its own. */
export interface ConformanceCheck {
  /** The rule in plain words; runners use it as the test's name. */
  readonly name: string;
  /**
   * Resolves when the model keeps the rule, resolves with a {@link ConformanceSkip} when the rule
   * does not apply to it, and rejects with a `ConformanceError` that says what to fix when it breaks it.
   */
  run(): Promise<undefined | ConformanceSkip>;
}

/** The checks for one model, sharing one subject: `start()` makes it (or the first check does), `close()` disposes it. */
export interface ConformanceSuite {
  /** Every check that applies to the task, in the order they are meant to run. */
  readonly checks: readonly ConformanceCheck[];
  /** Creates the shared subject now (runners call it from a before-all hook, whose time limit is longer). */
  start(): Promise<void>;
  /** Disposes the shared model and runs the subject's cleanup; safe to call more than once. */
  close(): Promise<void>;
}

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
  usage: { inputTokens?: number; outputTokens?: number };
};
// The suite reads chunks by their `type`; the task's chunk schema has checked their shape first.
type AnyChunk = Record<string, any> & { type: string };

async function collect<C>(iterable: AsyncIterable<C>): Promise<C[]> {
  const out: C[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Each call names a tool of the input, and its arguments match that tool's parameters. */
function assertValidCalls(input: GenerationCall, calls: readonly GeneratedToolCall[]): void {
  for (const call of calls) {
    const tool = input.tools?.find((candidate) => candidate.name === call.name);
    assert(tool, `the model called "${call.name}", which is not one of the tools`);
    assertMatchesSchema(tool.parameters ?? { type: 'object' }, call.arguments, `arguments of "${call.name}"`);
    if (typeof input.toolChoice === 'object' && input.toolChoice !== null) {
      assertEqual(
        call.name,
        (input.toolChoice as { tool: string }).tool,
        'the called tool (toolChoice names it)',
      );
    }
  }
}

/** The calls as the caller compares them: name and arguments (ids are the backend's to choose). */
function callsOf(calls: readonly GeneratedToolCall[]): { name: string; arguments: unknown }[] {
  return calls.map((call) => ({ name: call.name, arguments: call.arguments }));
}

/**
 * The conformance checks for a model of `options.task`, as a list any runner can register (or that
 * `checkConformance` runs without one).
 *
 * @example
 * const suite = conformanceSuite({ task: embedding, create: async () => ({ model, backendCalls: () => 0 }), inputs: [{ texts: ['hi'] }] });
 * for (const check of suite.checks) console.log(check.name, await check.run());
 * await suite.close();
 */
export function conformanceSuite<T extends Task>(options: ConformanceOptions<T>): ConformanceSuite {
  const { task } = options;
  const [firstInput] = options.inputs;
  if (firstInput === undefined)
    throw new TypeError('conformanceSuite: options.inputs needs at least one valid input');
  let shared: Promise<ConformanceSubject<T>> | undefined;
  const subject = () => {
    shared ??= options.create();
    return shared;
  };
  const checks: ConformanceCheck[] = [];
  const check = (
    name: string,
    run: (s: ConformanceSubject<T>) => Promise<ConformanceSkip | undefined> | ConformanceSkip | undefined,
  ) => checks.push({ name, run: async () => (await run(await subject())) ?? undefined });

  check('declares specification version 1, an id, its task and capabilities', ({ model }) => {
    assertEqual(model.specificationVersion, 1, 'model.specificationVersion');
    assert(
      /^[^:\s]+:.+/.test(model.id),
      `model.id must read "scheme:name", e.g. "acme:small" (got ${show(model.id)})`,
    );
    assertEqual(model.task, task.name, 'model.task');
    for (const flag of ['streaming', 'batching', 'local'] as const) {
      assertEqual(typeof model.capabilities[flag], 'boolean', `typeof model.capabilities.${flag}`);
    }
  });

  check('returns outputs that match the task output schema', async ({ model }) => {
    for (const input of options.inputs) {
      const output = await model.run(input);
      assertParsed(safeParse(task.output, output), `run(${show(input)}) returned`, output);
    }
  });

  check('rejects invalid input with InvalidInputError without reaching the backend', async (s) => {
    const before = s.backendCalls();
    for (const input of [...(INVALID_INPUTS[task.name] ?? []), ...(options.invalidInputs ?? [])]) {
      const error = await failureOf(s.model.run(input as InputOf<T>));
      assertMlkitCode(error, ['invalid_input'], `run(${show(input)})`);
      assert(
        /input/.test((error as Error).message),
        `the message of an invalid input's error must name the input field (got ${show((error as Error).message)})`,
      );
    }
    assertEqual(s.backendCalls() - before, 0, 'backend calls made for invalid inputs');
  });

  check('rejects at once with AbortError when the signal is already aborted', async (s) => {
    const before = s.backendCalls();
    const controller = new AbortController();
    controller.abort();
    const error = await failureOf(s.model.run(firstInput, { signal: controller.signal }));
    assertMlkitCode(error, ['abort'], 'run() with an aborted signal');
    assertEqual(s.backendCalls() - before, 0, 'backend calls made with an aborted signal');
  });

  if (task.chunk) {
    const chunkSchema = task.chunk;
    check('streams chunks that match the chunk schema and concatenate to run()', async ({ model }) => {
      if (!model.capabilities.streaming) return { skipped: 'capabilities.streaming is false' };
      for (const input of options.inputs) {
        const output = (await model.run(input)) as GenerationOutput;
        const chunks = (await collect(model.stream(input))) as ChunkOf<T>[] as AnyChunk[];
        for (const chunk of chunks) assertParsed(safeParse(chunkSchema, chunk), 'the chunk', chunk);
        const last = chunks.at(-1);
        assertEqual(last?.type, 'finish', 'the type of the last chunk');
        assertEqual(chunks.filter((c) => c.type === 'finish').length, 1, 'the number of finish chunks');
        const text = chunks
          .filter((c) => c.type === 'text-delta')
          .map((c) => c.text)
          .join('');
        assertEqual(text, output.text, 'the streamed text (run() answered it)');
        assertEqual(
          last!.finishReason,
          output.finishReason,
          "the finish chunk's finishReason (run() answered it)",
        );
        assertEqual(
          last!.usage.inputTokens,
          output.usage.inputTokens,
          "the finish chunk's usage.inputTokens (as run())",
        );
        assertEqual(
          last!.usage.outputTokens,
          output.usage.outputTokens,
          "the finish chunk's usage.outputTokens (as run())",
        );
      }
    });

    check('stops a stream with AbortError when aborted after the first chunk', async ({ model }) => {
      if (!model.capabilities.streaming) return { skipped: 'capabilities.streaming is false' };
      const controller = new AbortController();
      const seen: AnyChunk[] = [];
      const error = await failureOf(
        (async () => {
          for await (const chunk of model.stream(firstInput, { signal: controller.signal })) {
            seen.push(chunk as AnyChunk);
            controller.abort();
          }
        })(),
      );
      assert(seen.length >= 1, 'the stream must yield at least one chunk');
      // A stream whose only chunk was also its last may finish before the abort is seen.
      if (error !== undefined) assertMlkitCode(error, ['abort'], 'a stream aborted after its first chunk');
      else
        assertEqual(seen.at(-1)!.type, 'finish', 'the last chunk of a stream that ended despite the abort');
    });
  } else {
    check('refuses stream() for a task that does not stream', ({ model }) => {
      let error: unknown;
      try {
        model.stream(firstInput);
      } catch (e) {
        error = e;
      }
      assertMlkitCode(error, ['unsupported'], `stream() of a ${task.name} model`);
    });
  }

  if (task.name === 'text-generation') textGenerationChecks(options, check);

  checks.push({
    name: 'disposes idempotently and refuses calls afterwards',
    async run() {
      const fresh = await options.create();
      try {
        await fresh.model.dispose();
        await fresh.model.dispose();
        const error = await failureOf(fresh.model.run(firstInput));
        assertMlkitCode(error, ['unsupported'], 'run() after dispose()');
        assert(
          /disposed/.test((error as Error).message),
          `the error of a call after dispose() must say the model was disposed (got ${show((error as Error).message)})`,
        );
      } finally {
        await fresh.cleanup?.();
      }
    },
  });

  return {
    checks,
    async start() {
      await subject();
    },
    async close() {
      const pending = shared;
      shared = undefined;
      const made = await pending?.catch(() => undefined);
      if (!made) return;
      try {
        await made.model.dispose();
      } finally {
        await made.cleanup?.();
      }
    },
  };
}

/**
 * Tools, json answers and image refusal, each checked only where the model's capabilities claim it
 * (`tools: true`, `jsonSchema: true`, `images: false`), so a model is held to what it says it does.
 */
function textGenerationChecks<T extends Task>(
  options: ConformanceOptions<T>,
  check: (name: string, run: (s: ConformanceSubject<T>) => Promise<undefined | ConformanceSkip>) => void,
): void {
  const { task } = options;
  const chunkSchema = task.chunk!;
  const toolInput = (options.toolInput ?? DEFAULT_TOOL_INPUT) as InputOf<T>;
  const jsonInput = (options.jsonInput ?? DEFAULT_JSON_INPUT) as InputOf<T>;
  const notClaimed = { skipped: 'capabilities.tools is not true' };

  check(
    'calls a required tool with arguments that match its parameters (capabilities.tools)',
    async ({ model }) => {
      if (model.capabilities.tools !== true) return notClaimed;
      const output = (await model.run(toolInput)) as GenerationOutput;
      assertParsed(safeParse(task.output, output), 'run() of the tool input returned', output);
      assertEqual(output.finishReason, 'tool-calls', 'the finishReason of a call that must call a tool');
      assert(
        (output.toolCalls?.length ?? 0) >= 1,
        `a call with a required tool must return toolCalls (got ${show(output.toolCalls)})`,
      );
      for (const call of output.toolCalls!) assert(call.id !== '', 'each tool call needs a non-empty id');
      assertValidCalls(toolInput as GenerationCall, output.toolCalls!);
    },
  );

  check(
    'streams tool-call chunks in order before the finish, the same calls as run() (capabilities.tools)',
    async ({ model }) => {
      if (model.capabilities.tools !== true) return notClaimed;
      if (!model.capabilities.streaming) return { skipped: 'capabilities.streaming is false' };
      const output = (await model.run(toolInput)) as GenerationOutput;
      const chunks = (await collect(model.stream(toolInput))) as AnyChunk[];
      for (const chunk of chunks) assertParsed(safeParse(chunkSchema, chunk), 'the chunk', chunk);
      const finishAt = chunks.findIndex((chunk) => chunk.type === 'finish');
      assertEqual(finishAt, chunks.length - 1, 'the position of the finish chunk (it must come last)');
      assertEqual(chunks[finishAt]!.finishReason, 'tool-calls', "the finish chunk's finishReason");
      const calls = chunks.filter((chunk) => chunk.type === 'tool-call');
      assertSameJson(
        calls.map((call) => call.index),
        calls.map((_, index) => index),
        'the indexes of the tool-call chunks',
      );
      for (const [at, chunk] of chunks.entries()) {
        if (chunk.type !== 'tool-call-delta') continue;
        const completed = chunks.findIndex((each) => each.type === 'tool-call' && each.index === chunk.index);
        assert(completed > at, `tool-call-delta ${chunk.index} must come before its tool-call chunk`);
      }
      assertValidCalls(toolInput as GenerationCall, calls as unknown as GeneratedToolCall[]);
      assertSameJson(
        callsOf(calls as unknown as GeneratedToolCall[]),
        callsOf(output.toolCalls ?? []),
        'the streamed tool calls (run() returned them)',
      );
    },
  );

  check(
    'answers a json responseFormat with an object that matches the schema and equals the parsed text (capabilities.jsonSchema)',
    async ({ model }) => {
      if (model.capabilities.jsonSchema !== true) return { skipped: 'capabilities.jsonSchema is not true' };
      const output = (await model.run(jsonInput)) as GenerationOutput;
      assertEqual(output.finishReason, 'stop', 'the finishReason of a json answer');
      assert(output.object !== undefined, 'a json answer must carry `object`, the parsed text');
      const schema = (jsonInput as GenerationCall).responseFormat?.schema;
      if (schema) assertMatchesSchema(schema, output.object, 'the json answer');
      assertSameJson(output.object, JSON.parse(output.text), 'output.object (the parsed output.text)');
    },
  );

  check(
    'streams a json answer whose finish chunk carries the parsed object (capabilities.jsonSchema)',
    async ({ model }) => {
      if (model.capabilities.jsonSchema !== true) return { skipped: 'capabilities.jsonSchema is not true' };
      if (!model.capabilities.streaming) return { skipped: 'capabilities.streaming is false' };
      const chunks = (await collect(model.stream(jsonInput))) as AnyChunk[];
      const text = chunks
        .filter((chunk) => chunk.type === 'text-delta')
        .map((chunk) => chunk.text)
        .join('');
      const finish = chunks.at(-1);
      assertEqual(finish?.type, 'finish', 'the type of the last chunk');
      assertSameJson(
        finish!.object,
        JSON.parse(text),
        "the finish chunk's object (the parsed streamed text)",
      );
    },
  );

  check('refuses an image part before reaching the backend (capabilities.images false)', async (s) => {
    if (s.model.capabilities.images !== false) return { skipped: 'capabilities.images is not false' };
    const before = s.backendCalls();
    const error = await failureOf(s.model.run(IMAGE_INPUT as InputOf<T>));
    assertMlkitCode(error, ['unsupported', 'invalid_input'], 'run() with an image part');
    if (s.model.capabilities.streaming) {
      const streamed = await failureOf(collect(s.model.stream(IMAGE_INPUT as InputOf<T>)));
      assertMlkitCode(streamed, ['unsupported', 'invalid_input'], 'stream() with an image part');
    }
    assertEqual(s.backendCalls() - before, 0, 'backend calls made for an image part');
  });
}
