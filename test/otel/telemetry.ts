// An OpenTelemetry SDK in memory for the tests: spans to an InMemorySpanExporter, metrics read on demand.
import type { Attributes, Meter, Tracer } from '@opentelemetry/api';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** A reader that exports nothing by itself: `collect()` reads the metrics when a test asks. */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A tracer and a meter whose output the test reads back. */
export interface Telemetry {
  tracer: Tracer;
  meter: Meter;
  /** Every span ended so far (exports are asynchronous: this waits for them). */
  spans(): Promise<ReadableSpan[]>;
  /** The one ended span called `name` (fails when there is none or several). */
  span(name: string): Promise<ReadableSpan>;
  /** The ended children of `parent`. */
  children(parent: ReadableSpan): Promise<ReadableSpan[]>;
  /** The unit and data points of the histogram `name`, read now (each point: count, sum, min, max). */
  histogram(name: string): Promise<{ unit: string; points: DataPoint<Histogram>[] }>;
}

export function telemetry(): Telemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const spans = async () => {
    await tracerProvider.forceFlush();
    return exporter.getFinishedSpans();
  };
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    spans,
    async span(name) {
      const ended = await spans();
      const found = ended.filter((span) => span.name === name);
      if (found.length !== 1) {
        throw new Error(
          `expected one span "${name}", got ${found.length} (${ended.map((span) => span.name).join(', ')})`,
        );
      }
      return found[0]!;
    },
    children: async (parent) =>
      (await spans()).filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId),
    async histogram(name) {
      const { resourceMetrics } = await reader.collect();
      const metrics: MetricData[] = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
      const metric = metrics.find((each) => each.descriptor.name === name);
      if (!metric)
        throw new Error(`no metric "${name}" (got ${metrics.map((m) => m.descriptor.name).join(', ')})`);
      return { unit: metric.descriptor.unit, points: metric.dataPoints as DataPoint<Histogram>[] };
    },
  };
}

/** The data point whose attributes include `attributes`. */
export function pointWith(
  points: DataPoint<Histogram>[],
  attributes: Attributes,
): DataPoint<Histogram> | undefined {
  return points.find((point) =>
    Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  );
}
