import { defineModel } from '../define-model.ts';
import { InvalidInputError } from '../errors.ts';
import type { Model } from '../model.ts';
import type { ChunkOf, InputOf, OutputOf, ParsedInputOf, Task } from '../tasks/task.ts';
import { agreementOf } from './agreement.ts';
import { commonTask, memberOptions } from './members.ts';

/** One side of a shadowed call: how long it took, what it cost (when metered), and its error if any. */
export interface ShadowSide {
  modelId: string;
  durationMs: number;
  /** `usage.costUsd` of the output: set when the model is a `meter()`ed one. */
  costUsd?: number;
  /** Why this side failed (the primary's error still reached the caller as usual). */
  error?: unknown;
}

/** What `shadow()` reports for each sampled call, once both models have answered. */
export interface ShadowReport<T extends Task = Task> {
  input: ParsedInputOf<T>;
  primary: ShadowSide;
  candidate: ShadowSide;
  /**
   * How far the answers agree, 0 to 1: the share of equal labels (classification), 1 or 0 for the same
   * text or not (text generation), the mean cosine similarity (embedding), or `compare()`'s value.
   * Undefined when a side failed or the task has no built-in measure.
   */
  agreement?: number;
}

/** Options of `shadow()`: how many calls to sample, where reports go, and how to compare answers. */
export interface ShadowOptions<T extends Task = Task> {
  /** Share of calls that also run on the candidate, 0 to 1. */
  sampleRate: number;
  /** Receives each sampled call's report; an exception it throws is ignored (it never reaches a caller). */
  onReport: (report: ShadowReport<T>) => void;
  /** Agreement of two outputs, 0 to 1, for tasks without a built-in measure or to replace it. */
  compare?: (primary: OutputOf<T>, candidate: OutputOf<T>) => number;
  /** Random numbers in [0, 1) that decide the sample. Default `Math.random`. */
  random?: () => number;
  /** Id of the composite model. Default `shadow:<primary id>`. */
  id?: string;
  /** The task's definition; needed only for a custom task. */
  task?: T;
}

type Settled<O> = { output?: O; side: ShadowSide };

/** Run `call`, timing it; never throws (the error is in the side). */
async function timed<O>(modelId: string, call: () => Promise<O>): Promise<Settled<O>> {
  const started = performance.now();
  try {
    const output = await call();
    const costUsd = (output as { usage?: { costUsd?: number } }).usage?.costUsd;
    const side: ShadowSide = { modelId, durationMs: performance.now() - started };
    if (costUsd !== undefined) side.costUsd = costUsd;
    return { output, side };
  } catch (error) {
    return { side: { modelId, durationMs: performance.now() - started, error } };
  }
}

/**
 * A model that answers from `primary` and runs a sample of calls on `candidate` too, in the
 * background, to report how often they agree, how fast each is and what each costs: the online form
 * of "is our own model good enough yet?". The caller's answer never waits for the candidate, never
 * fails because of it, and the primary is called once per call (the report reuses its answer). The
 * candidate runs without the caller's signal, so an early answer or abort does not cut the sample short.
 *
 * @example
 * const model = shadow(hosted, local, {
 *   sampleRate: 0.05,
 *   onReport: ({ agreement, primary, candidate }) => log({ agreement, primaryMs: primary.durationMs, candidateMs: candidate.durationMs }),
 * });
 */
export function shadow<T extends Task>(
  primary: Model<T>,
  candidate: Model<T>,
  options: ShadowOptions<T>,
): Model<T> {
  const task = commonTask<T>(
    'shadow',
    [
      ['primary', primary],
      ['candidate', candidate],
    ],
    options.task,
  );
  const { sampleRate, onReport } = options;
  if (typeof sampleRate !== 'number' || !(sampleRate >= 0 && sampleRate <= 1)) {
    throw new InvalidInputError(
      `shadow: sampleRate must be a number from 0 to 1 (got ${String(sampleRate)})`,
      {
        issues: [{ path: 'options.sampleRate', message: 'expected a number from 0 to 1' }],
      },
    );
  }
  if (typeof onReport !== 'function') {
    throw new InvalidInputError('shadow needs an onReport(report) function to receive the comparisons', {
      issues: [{ path: 'options.onReport', message: 'expected a function' }],
    });
  }
  const random = options.random ?? Math.random;
  const compare = options.compare ?? ((a, b) => agreementOf(task.name, a, b));

  /** Report once both sides settled; nothing here reaches the caller. */
  function report(
    input: ParsedInputOf<T>,
    primarySide: Promise<Settled<OutputOf<T>>>,
    candidateSide: Promise<Settled<OutputOf<T>>>,
  ) {
    void Promise.all([primarySide, candidateSide])
      .then(([a, b]) => {
        const result: ShadowReport<T> = { input, primary: a.side, candidate: b.side };
        if (a.output !== undefined && b.output !== undefined) {
          const agreement = compare(a.output, b.output);
          if (agreement !== undefined) result.agreement = agreement;
        }
        onReport(result);
      })
      .catch(() => {});
  }

  const sampled = () => sampleRate > 0 && random() < sampleRate;

  return defineModel<T>({
    id: options.id ?? `shadow:${primary.id}`,
    task,
    capabilities: primary.capabilities,

    async run(input, context) {
      if (!sampled()) return primary.run(input as InputOf<T>, memberOptions(context));
      const candidateSide = timed(candidate.id, () => candidate.run(input as InputOf<T>));
      const primarySide = timed(primary.id, () => primary.run(input as InputOf<T>, memberOptions(context)));
      report(input, primarySide, candidateSide);
      const { output, side } = await primarySide;
      if (side.error !== undefined) throw side.error;
      return output!;
    },

    ...(task.chunk && {
      async *stream(input, context) {
        if (!sampled()) {
          yield* primary.stream(input as InputOf<T>, memberOptions(context));
          return;
        }
        const candidateSide = timed(candidate.id, () => candidate.run(input as InputOf<T>));
        const started = performance.now();
        const chunks: ChunkOf<T>[] = [];
        let finished!: (settled: Settled<OutputOf<T>>) => void;
        report(input, new Promise((resolve) => (finished = resolve)), candidateSide);
        let failure: { error: unknown } | undefined;
        try {
          for await (const chunk of primary.stream(input as InputOf<T>, memberOptions(context))) {
            chunks.push(chunk);
            yield chunk;
          }
        } catch (error) {
          failure = { error };
          throw error;
        } finally {
          // Also when the caller left early: the report then has no primary output to compare.
          const durationMs = performance.now() - started;
          finished(
            failure
              ? { side: { modelId: primary.id, durationMs, error: failure.error } }
              : settledStream(primary.id, durationMs, chunks),
          );
        }
      },
    }),
  });
}

type StreamedChunk =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; index: number; id: string; name: string; arguments: unknown }
  | {
      type: 'finish';
      finishReason: string;
      rawFinishReason?: string;
      object?: unknown;
      refusal?: string;
      usage: { costUsd?: number };
    };

/**
 * A finished text stream as the output `run()` would have given, for the comparison: the text, the
 * tool calls in order, and the finish chunk's reason, object, refusal and usage.
 */
function settledStream<O>(modelId: string, durationMs: number, chunks: readonly unknown[]): Settled<O> {
  const side: ShadowSide = { modelId, durationMs };
  const streamed = chunks as readonly StreamedChunk[];
  const finish = streamed.find((chunk) => chunk.type === 'finish');
  if (!finish) return { side };
  if (finish.usage.costUsd !== undefined) side.costUsd = finish.usage.costUsd;
  let text = '';
  const toolCalls: { index: number; id: string; name: string; arguments: unknown }[] = [];
  for (const chunk of streamed) {
    if (chunk.type === 'text-delta') text += chunk.text;
    else if (chunk.type === 'tool-call') toolCalls.push(chunk);
  }
  toolCalls.sort((a, b) => a.index - b.index);
  const { type: _type, ...ending } = finish;
  const output = {
    text,
    ...(toolCalls.length > 0 && {
      toolCalls: toolCalls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })),
    }),
    ...ending,
  };
  return { output: output as O, side };
}
