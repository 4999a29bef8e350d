import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type Meter,
  metrics,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { TaskOf } from '../compose/members.ts';
import { InvalidInputError } from '../errors.ts';
import { isModel, type Model, type ModelEvent, type RunOptions } from '../model.ts';
import type { ChunkOf, InputOf, OutputOf, Task } from '../tasks/task.ts';
import {
  describeCall,
  errorType,
  METRICS,
  requestAttributes,
  responseAttributes,
  SECONDS_BUCKETS,
  TOKEN_BUCKETS,
} from './conventions.ts';
import { CallEvents, fail } from './events.ts';

/** Options of `instrument()`: where spans and metrics go, and names the model id does not say. */
export interface InstrumentOptions {
  /** Where the spans go. Default: the global tracer provider's tracer `@mlkit/core` (a no-op until an SDK registers one). */
  tracer?: Tracer;
  /** Where the metrics go. Default: the global meter provider's meter `@mlkit/core`. */
  meter?: Meter;
  /** `gen_ai.operation.name`. Default: 'chat' for text generation, 'embeddings' for embedding, else the task's name. */
  operationName?: string;
  /** `gen_ai.provider.name`. Default: the model id's scheme ('openai' for 'openai:gpt-4o-mini'). */
  providerName?: string;
  /** `gen_ai.request.model`. Default: the model id after its scheme ('gpt-4o-mini'). */
  requestModel?: string;
}

/** The instrumentation scope of mlkit's spans and metrics. */
const SCOPE = '@mlkit/core';

interface Instruments {
  duration: Histogram;
  tokens: Histogram;
  timeToFirstChunk: Histogram;
  timePerOutputChunk: Histogram;
}

function instrumentsOf(meter: Meter): Instruments {
  const histogram = (spec: { name: string; unit: string; description: string }, buckets: number[]) =>
    meter.createHistogram(spec.name, {
      unit: spec.unit,
      description: spec.description,
      advice: { explicitBucketBoundaries: buckets },
    });
  return {
    duration: histogram(METRICS.duration, SECONDS_BUCKETS),
    tokens: histogram(METRICS.tokens, TOKEN_BUCKETS),
    timeToFirstChunk: histogram(METRICS.timeToFirstChunk, SECONDS_BUCKETS),
    timePerOutputChunk: histogram(METRICS.timePerOutputChunk, SECONDS_BUCKETS),
  };
}

/** What every call of one instrumented model shares. */
interface Setup {
  tracer: Tracer;
  instruments: Instruments;
  spanName: string;
  kind: SpanKind;
  /** `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`. */
  base: Attributes;
}

/** One call's span, its attempt spans and its measurements; ends once. */
class Call {
  readonly #setup: Setup;
  readonly #input: unknown;
  readonly #streaming: boolean;
  #span: Span | undefined;
  #events: CallEvents | undefined;
  #context: Context | undefined;
  #started = 0;
  #lastChunkAt: number | undefined;
  #ended = false;
  /** The last chunk that said how the call ended (finish reason, usage). */
  #finish: unknown;

  constructor(setup: Setup, input: unknown, streaming: boolean) {
    this.#setup = setup;
    this.#input = input;
    this.#streaming = streaming;
  }

  /** Open the call's span, a child of the active one. */
  start(): void {
    if (this.#span) return;
    const { tracer, spanName, kind, base } = this.#setup;
    const parent = context.active();
    const attributes = {
      ...base,
      ...requestAttributes(this.#input),
      ...(this.#streaming && { 'gen_ai.request.stream': true }),
    };
    this.#span = tracer.startSpan(spanName, { kind, attributes }, parent);
    this.#context = trace.setSpan(parent, this.#span);
    this.#events = new CallEvents(tracer, this.#span, this.#context);
    this.#started = performance.now();
  }

  /** The context the model runs in: its spans (an instrumented member's) are children of this call's. */
  get context(): Context {
    return this.#context ?? context.active();
  }

  /** The caller's options with a listener that records the model's events before the caller's sees them. */
  options(options: RunOptions | undefined): RunOptions {
    const listener = options?.onEvent;
    return {
      ...options,
      onEvent: (event: ModelEvent) => {
        this.#events?.observe(event);
        listener?.(event);
      },
    };
  }

  /** A streamed chunk: the first one's delay, each later one's gap, and the finish chunk's figures. */
  chunk(value: unknown): void {
    const now = performance.now();
    const attributes = this.#metricAttributes();
    if (this.#lastChunkAt === undefined) {
      const seconds = (now - this.#started) / 1000;
      this.#span?.setAttribute('gen_ai.response.time_to_first_chunk', seconds);
      this.#setup.instruments.timeToFirstChunk.record(seconds, attributes);
    } else {
      this.#setup.instruments.timePerOutputChunk.record((now - this.#lastChunkAt) / 1000, attributes);
    }
    this.#lastChunkAt = now;
    const { type, finishReason, usage } = (value ?? {}) as {
      type?: unknown;
      finishReason?: unknown;
      usage?: unknown;
    };
    if (finishReason !== undefined || usage !== undefined) this.#finish = value;
    // The finish chunk is a stream's last: the call is over when it arrives.
    if (type === 'finish') this.succeed(value);
  }

  /** The call answered: response attributes, token and duration metrics, span ended. */
  succeed(output: unknown): void {
    if (this.#ended) return;
    const answer = output ?? this.#finish;
    const response = responseAttributes(answer);
    const attributes = this.#metricAttributes();
    const responseModel = attributes['gen_ai.response.model'];
    this.#span?.setAttributes({
      ...response,
      ...(responseModel !== undefined && { 'gen_ai.response.model': responseModel }),
    });
    const { tokens } = this.#setup.instruments;
    const input = response['gen_ai.usage.input_tokens'];
    const outputTokens = response['gen_ai.usage.output_tokens'];
    if (typeof input === 'number') tokens.record(input, { ...attributes, 'gen_ai.token.type': 'input' });
    if (typeof outputTokens === 'number') {
      tokens.record(outputTokens, { ...attributes, 'gen_ai.token.type': 'output' });
    }
    this.#end(attributes);
  }

  /** The call failed: `error.type`, status ERROR, duration recorded with the error type. */
  fail(error: unknown): void {
    if (this.#ended) return;
    const type = errorType(error);
    if (this.#span) fail(this.#span, type, error instanceof Error ? error.message : String(error));
    this.#end({ ...this.#metricAttributes(), 'error.type': type });
  }

  /** The caller left a stream before its end: the span ends, nothing failed. */
  leave(): void {
    if (this.#ended) return;
    this.#end(this.#metricAttributes());
  }

  #end(attributes: Attributes): void {
    this.#ended = true;
    this.#setup.instruments.duration.record((performance.now() - this.#started) / 1000, attributes);
    this.#events?.end();
    this.#span?.end();
  }

  #metricAttributes(): Attributes {
    const responseModel = this.#events?.fallbackModel;
    return {
      ...this.#setup.base,
      ...this.#events?.server,
      ...(responseModel !== undefined && { 'gen_ai.response.model': responseModel }),
    };
  }
}

/**
 * `model` with OpenTelemetry spans and metrics named by the GenAI semantic conventions. Each call is
 * a span `{gen_ai.operation.name} {gen_ai.request.model}` ("chat gpt-4o-mini", "embeddings bge-small")
 * with the request's settings (`gen_ai.request.max_tokens`, `temperature`, `top_p`, ...), the answer's
 * `gen_ai.response.finish_reasons` and `gen_ai.usage.input_tokens` / `output_tokens`, and `error.type`
 * with status ERROR on failure. Each HTTP attempt is a CLIENT child span (`http.request.method`,
 * `url.full`, `http.response.status_code`, `mlkit.request_id`); retries, fallbacks, cache hits,
 * queueing and circuit breakers are events on the call's span. Metrics: `gen_ai.client.operation.duration`
 * (s), `gen_ai.client.token.usage` ({token}, by `gen_ai.token.type`), and for streams
 * `gen_ai.client.operation.time_to_first_chunk` and `time_per_output_chunk`. A stream's span ends at
 * its finish chunk. The model is otherwise unchanged: same id, task, capabilities, errors and events.
 *
 * Needs `@opentelemetry/api` (an optional peer dependency) and an SDK that registers a tracer and
 * meter provider (or pass `tracer` and `meter`).
 *
 * @example
 * import { instrument } from '@mlkit/core/otel';
 * const model = instrument(openai().textGeneration('gpt-4o-mini'));
 * await model.run({ prompt: 'Hello' }); // span "chat gpt-4o-mini"
 */
export function instrument<M extends Model>(model: M, options?: InstrumentOptions): Model<TaskOf<M>>;
export function instrument<T extends Task>(model: Model<T>, options: InstrumentOptions = {}): Model<T> {
  if (!isModel(model)) {
    throw new InvalidInputError('instrument: model is not an mlkit Model', {
      issues: [{ path: 'model', message: 'expected a Model (from defineModel, a provider or loadModel)' }],
    });
  }
  const described = describeCall(model.id, model.task);
  const operationName = options.operationName ?? described.operationName;
  const requestModel = options.requestModel ?? described.requestModel;
  const setup: Setup = {
    tracer: options.tracer ?? trace.getTracer(SCOPE),
    instruments: instrumentsOf(options.meter ?? metrics.getMeter(SCOPE)),
    spanName: `${operationName} ${requestModel}`,
    // The conventions: CLIENT for a model behind an API, INTERNAL for one in this process.
    kind: model.capabilities.local ? SpanKind.INTERNAL : SpanKind.CLIENT,
    base: {
      'gen_ai.operation.name': operationName,
      'gen_ai.provider.name': options.providerName ?? described.providerName,
      'gen_ai.request.model': requestModel,
    },
  };

  return {
    specificationVersion: 1,
    id: model.id,
    task: model.task,
    capabilities: model.capabilities,

    async run(input, runOptions) {
      const call = new Call(setup, input, false);
      call.start();
      try {
        const output = await context.with(call.context, () => model.run(input, call.options(runOptions)));
        call.succeed(output);
        return output as OutputOf<T>;
      } catch (error) {
        call.fail(error);
        throw error;
      }
    },

    stream(input, runOptions) {
      const call = new Call(setup, input, true);
      let source: AsyncIterable<ChunkOf<T>>;
      try {
        source = model.stream(input as InputOf<T>, call.options(runOptions));
      } catch (error) {
        // Thrown at once (a task that does not stream, invalid input): thrown at once here too, with a span.
        call.start();
        call.fail(error);
        throw error;
      }
      return {
        [Symbol.asyncIterator]() {
          // The span opens when the caller starts reading: a stream never read leaves no open span.
          call.start();
          let iterator: AsyncIterator<ChunkOf<T>> | undefined;
          return {
            async next() {
              try {
                const result = await context.with(call.context, () => {
                  iterator ??= source[Symbol.asyncIterator]();
                  return iterator.next();
                });
                if (result.done) call.succeed(undefined);
                else call.chunk(result.value);
                return result;
              } catch (error) {
                call.fail(error);
                throw error;
              }
            },
            async return(value?: unknown) {
              call.leave();
              const result = await iterator?.return?.(value);
              return result ?? { done: true, value: undefined };
            },
          };
        },
      };
    },

    dispose: () => model.dispose(),
  };
}
