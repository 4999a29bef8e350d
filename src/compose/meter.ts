import * as z from 'zod';
import { type CallContext, defineModel } from '../define-model.ts';
import { InvalidInputError } from '../errors.ts';
import type { Model } from '../model.ts';
import type { InputOf, OutputOf, Task } from '../tasks/task.ts';
import type { Usage } from '../tasks/usage.ts';
import { commonTask, memberOptions, type TaskOf } from './members.ts';

const usd = z.number().nonnegative().optional();

/**
 * Schema of a model's prices, in US dollars. They are yours: mlkit ships no price list, since every
 * provider's prices change. Hosted APIs bill tokens and sometimes requests; a self-run model costs its
 * machine, as compute-seconds or a fixed monthly sum.
 */
export const Pricing = z.strictObject({
  /** Price of 1,000,000 input tokens. */
  usdPerMillionInputTokens: usd,
  /** Price of 1,000,000 output tokens. */
  usdPerMillionOutputTokens: usd,
  /** Price of each call. */
  usdPerRequest: usd,
  /** Price of each second a call runs (measured around the call): a self-run model's machine time. */
  usdPerComputeSecond: usd,
  /** Fixed monthly cost, paid whatever the volume (a reserved GPU, an ops share): used by `breakEven`. */
  usdPerMonth: usd,
});
/** A model's prices in US dollars: per 1M input/output tokens, per request, per compute-second, per month. */
export type Pricing = z.input<typeof Pricing>;

/** What a metered model has used and cost so far. */
export interface MeterTotals {
  /** Id of the metered model. */
  modelId: string;
  /** Calls that answered. */
  calls: number;
  /** Calls that failed (not priced). */
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Milliseconds the answered calls ran, summed. */
  computeMs: number;
  /** Cost of the answered calls (the monthly fixed cost is not in it). */
  costUsd: number;
}

/** A model that counts its usage and cost: `totals()` so far; each call's cost is in `usage.costUsd`. */
export type MeteredModel<T extends Task = Task> = Model<T> & {
  /** The prices the cost is computed with. */
  readonly pricing: Pricing;
  /** Usage and cost of every call so far. */
  totals(): MeterTotals;
};

/** The cost of one call under `pricing`. */
export function costOf(
  pricing: Pricing,
  call: { inputTokens: number; outputTokens: number; computeMs: number },
): number {
  return (
    (call.inputTokens * (pricing.usdPerMillionInputTokens ?? 0)) / 1_000_000 +
    (call.outputTokens * (pricing.usdPerMillionOutputTokens ?? 0)) / 1_000_000 +
    (pricing.usdPerRequest ?? 0) +
    (call.computeMs / 1000) * (pricing.usdPerComputeSecond ?? 0)
  );
}

/**
 * A model that measures each call of `model` (tokens from its usage, duration around the call) and
 * prices it: the output's `usage.costUsd` (a stream's finish chunk) carries the call's cost, a `cost`
 * event tells listeners, and `totals()` sums them. Failed calls are counted, not priced.
 *
 * @example
 * const hosted = meter(openai().textGeneration('gpt-4o-mini'), {
 *   usdPerMillionInputTokens: 0.15, // your price list, e.g. as of 2026-12-01
 *   usdPerMillionOutputTokens: 0.6,
 * });
 * await hosted.run({ prompt: 'Hello' });
 * console.log(hosted.totals().costUsd);
 */
export function meter<M extends Model>(
  model: M,
  pricing: Pricing,
  options?: { id?: string; task?: TaskOf<M> },
): MeteredModel<TaskOf<M>>;
export function meter<T extends Task>(
  model: Model<T>,
  pricing: Pricing,
  options: { id?: string; task?: T } = {},
): MeteredModel<T> {
  const task = commonTask<T>('meter', [['model', model]], options.task);
  const parsed = Pricing.safeParse(pricing);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['pricing', ...issue.path.map(String)].join('.');
    throw new InvalidInputError(`meter: ${path}: ${issue.message}`, {
      issues: parsed.error.issues.map((each) => ({
        path: ['pricing', ...each.path.map(String)].join('.'),
        message: each.message,
      })),
    });
  }
  const prices = Object.freeze(parsed.data);
  const id = options.id ?? `meter:${model.id}`;
  const totals: MeterTotals = {
    modelId: model.id,
    calls: 0,
    failedCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    computeMs: 0,
    costUsd: 0,
  };

  /** Count one answered call and return its cost. */
  function record(usage: Usage | undefined, computeMs: number, context: CallContext): number {
    const call = { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0, computeMs };
    const costUsd = costOf(prices, call);
    totals.calls++;
    totals.inputTokens += call.inputTokens;
    totals.outputTokens += call.outputTokens;
    totals.computeMs += computeMs;
    totals.costUsd += costUsd;
    context.emit({ type: 'cost', modelId: id, costUsd, ...call });
    return costUsd;
  }

  const metered = defineModel<T>({
    id,
    task,
    capabilities: model.capabilities,

    async run(input, context) {
      const started = performance.now();
      let output: OutputOf<T>;
      try {
        output = await model.run(input as InputOf<T>, memberOptions(context));
      } catch (error) {
        totals.failedCalls++;
        throw error;
      }
      const usage = (output as { usage?: Usage }).usage;
      const costUsd = record(usage, performance.now() - started, context);
      return usage ? ({ ...(output as object), usage: { ...usage, costUsd } } as OutputOf<T>) : output;
    },

    ...(task.chunk && {
      async *stream(input, context) {
        const started = performance.now();
        let recorded = false;
        let failed = false;
        try {
          for await (const chunk of model.stream(input as InputOf<T>, memberOptions(context))) {
            const usage = (chunk as { type?: unknown; usage?: Usage }).usage;
            if (!recorded && usage && (chunk as { type?: unknown }).type === 'finish') {
              recorded = true;
              const costUsd = record(usage, performance.now() - started, context);
              yield { ...(chunk as object), usage: { ...usage, costUsd } } as typeof chunk;
            } else {
              yield chunk;
            }
          }
        } catch (error) {
          failed = true;
          totals.failedCalls++;
          throw error;
        } finally {
          // A stream without a finish chunk, or left early, still ran (and a hosted API bills it).
          if (!recorded && !failed) record(undefined, performance.now() - started, context);
        }
      },
    }),
  });
  return Object.assign(metered, { pricing: prices, totals: () => ({ ...totals }) });
}

/** Where self-running a model starts to pay off, from measured average costs per call. */
export interface BreakEven {
  /** The hosted model's measured average cost per call. */
  hostedUsdPerCall: number;
  /** The self-run model's measured average cost per call (its monthly fixed cost aside). */
  selfRunUsdPerCall: number;
  /** The self-run model's fixed monthly cost (`usdPerMonth` of its pricing). */
  selfRunUsdPerMonth: number;
  /**
   * The fewest calls per month at which self-running costs less than the hosted API: the first whole
   * number above `usdPerMonth / (hosted - selfRun per call)`; `Infinity` when a self-run call costs as
   * much as a hosted one or more.
   */
  callsPerMonth: number;
}

/** A metered model, or its totals and prices. */
export type MeteredSide = Pick<MeteredModel, 'totals' | 'pricing'>;

/**
 * The monthly volume at which a self-run model's fixed monthly cost plus its per-call cost beats the
 * hosted API's per-call cost, from what `meter()` measured on both (average cost per answered call).
 *
 * @example
 * const { callsPerMonth } = breakEven({ hosted: meteredApi, selfRun: meteredLocal });
 */
export function breakEven(sides: { hosted: MeteredSide; selfRun: MeteredSide }): BreakEven {
  const perCall = (name: 'hosted' | 'selfRun') => {
    const totals = sides[name].totals();
    if (totals.calls === 0) {
      throw new InvalidInputError(
        `breakEven: ${name} (${totals.modelId}) has no measured calls yet; run some calls through the metered model first`,
        { issues: [{ path: `${name}.calls`, message: 'expected at least one answered call' }] },
      );
    }
    return totals.costUsd / totals.calls;
  };
  const hostedUsdPerCall = perCall('hosted');
  const selfRunUsdPerCall = perCall('selfRun');
  const selfRunUsdPerMonth = sides.selfRun.pricing.usdPerMonth ?? 0;
  const savingPerCall = hostedUsdPerCall - selfRunUsdPerCall;
  const callsPerMonth =
    savingPerCall > 0 ? Math.floor(selfRunUsdPerMonth / savingPerCall) + 1 : Number.POSITIVE_INFINITY;
  return { hostedUsdPerCall, selfRunUsdPerCall, selfRunUsdPerMonth, callsPerMonth };
}
