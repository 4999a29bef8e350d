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
import type { ChunkOf, InputOf, Model, Task } from '../../src/index.ts';
import { isMlkitError } from '../../src/index.ts';

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
}

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
