import { abortErrorOf } from '../abort.ts';
import { type CallContext, defineModel } from '../define-model.ts';
import { InvalidInputError } from '../errors.ts';
import type { Model, ModelEvent } from '../model.ts';
import type { InputOf, Task } from '../tasks/task.ts';
import { commonTask, memberOptions, type TaskOf } from './members.ts';

/** Options of `limit()`: the client-side limits; each is off when not given. */
export interface LimitOptions<T extends Task = Task> {
  /** Most calls running at once. */
  concurrency?: number;
  /** Most calls started in any 60 seconds. */
  requestsPerMinute?: number;
  /**
   * Most tokens (input + output, from each finished call's usage) in any 60 seconds: a call starts
   * while the last minute's calls used fewer.
   */
  tokensPerMinute?: number;
  /** Id of the composite model. Default `limit:<model id>`. */
  id?: string;
  /** The task's definition; needed only for a custom task. */
  task?: T;
}

type QueuedReason = Extract<ModelEvent, { type: 'queued' }>['reason'];

const MINUTE_MS = 60_000;

interface Waiter {
  start(): void;
}

/**
 * A model that calls `model` within client-side limits, so an app stays under its API quota instead
 * of meeting 429s. Calls over a limit wait in order in a queue (a `queued` event tells listeners); a
 * caller's abort or `timeoutMs` while queued rejects at once and frees its place. A stream holds its
 * place until it ends.
 *
 * @example
 * const hosted = limit(openai().textGeneration('gpt-4o-mini'), { concurrency: 4, requestsPerMinute: 500 });
 */
export function limit<M extends Model>(model: M, options: LimitOptions<TaskOf<M>>): Model<TaskOf<M>>;
export function limit<T extends Task>(model: Model<T>, options: LimitOptions<T>): Model<T> {
  const task = commonTask<T>('limit', [['model', model]], options.task);
  for (const name of ['concurrency', 'requestsPerMinute', 'tokensPerMinute'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new InvalidInputError(`limit: ${name} must be a positive integer (got ${value})`, {
        issues: [{ path: `options.${name}`, message: 'expected an integer > 0' }],
      });
    }
  }
  const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
  const id = options.id ?? `limit:${model.id}`;
  const queue: Waiter[] = [];
  const starts: number[] = [];
  const spent: { at: number; tokens: number }[] = [];
  let running = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** Why a call cannot start now, and when a time window frees a place (undefined: when a call ends). */
  function blocked(now: number): { reason: QueuedReason; retryAt?: number } | undefined {
    while (starts.length > 0 && starts[0]! <= now - MINUTE_MS) starts.shift();
    while (spent.length > 0 && spent[0]!.at <= now - MINUTE_MS) spent.shift();
    if (running >= concurrency) return { reason: 'concurrency' };
    if (options.requestsPerMinute !== undefined && starts.length >= options.requestsPerMinute) {
      return { reason: 'requests-per-minute', retryAt: starts[0]! + MINUTE_MS };
    }
    if (options.tokensPerMinute !== undefined) {
      const tokens = spent.reduce((sum, entry) => sum + entry.tokens, 0);
      if (tokens >= options.tokensPerMinute) {
        return { reason: 'tokens-per-minute', retryAt: spent[0]!.at + MINUTE_MS };
      }
    }
    return undefined;
  }

  function begin(): void {
    running++;
    starts.push(Date.now());
  }

  /** Start queued calls while the limits allow; wake up when a time window frees the next place. */
  function pump(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const reason = blocked(Date.now());
      if (reason) {
        if (reason.retryAt !== undefined) {
          timer = setTimeout(pump, Math.max(0, reason.retryAt - Date.now()));
          (timer as { unref?: () => void }).unref?.();
        }
        return;
      }
      begin();
      queue.shift()!.start();
    }
  }

  /** Wait for a place; resolves once the call may start. */
  function acquire(context: CallContext): Promise<void> {
    const block = blocked(Date.now());
    if (!block && queue.length === 0) {
      begin();
      return Promise.resolve();
    }
    // Calls start in order: behind a queue, a call waits for what holds the queue's head.
    const reason = block?.reason ?? 'concurrency';
    const { signal } = context;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start() {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(abortErrorOf(signal));
        pump();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      context.emit({ type: 'queued', modelId: id, position: queue.length, reason });
      queue.push(waiter);
      if (queue.length === 1) pump();
    });
  }

  function release(usage: { inputTokens?: number; outputTokens?: number; totalTokens?: number } | undefined) {
    running--;
    const tokens = usage?.totalTokens ?? (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0);
    if (tokens > 0) spent.push({ at: Date.now(), tokens });
    pump();
  }

  return defineModel<T>({
    id,
    task,
    capabilities: model.capabilities,

    async run(input, context) {
      await acquire(context);
      let usage: { inputTokens?: number; outputTokens?: number } | undefined;
      try {
        const output = await model.run(input as InputOf<T>, memberOptions(context));
        usage = (output as { usage?: typeof usage }).usage;
        return output;
      } finally {
        release(usage);
      }
    },

    ...(task.chunk && {
      async *stream(input, context) {
        await acquire(context);
        let usage: { inputTokens?: number; outputTokens?: number } | undefined;
        try {
          for await (const chunk of model.stream(input as InputOf<T>, memberOptions(context))) {
            const chunkUsage = (chunk as { usage?: typeof usage }).usage;
            if (chunkUsage) usage = chunkUsage;
            yield chunk;
          }
        } finally {
          release(usage);
        }
      },
    }),
  });
}
