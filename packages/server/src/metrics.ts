/**
 * Prometheus text exposition (format 0.0.4) for counters, gauges and histograms. Hand-written
 * because prom-client needs Node built-ins and this server also runs in workers, Deno and Bun.
 */

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

interface Metric {
  render(): string;
}

/** A value that only goes up, one series per label set. */
export class Counter implements Metric {
  readonly name: string;
  readonly help: string;
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const series = this.#series.get(key);
    if (series) series.value += by;
    else this.#series.set(key, { labels, value: by });
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#series.values()) {
      lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    }
    return lines.join('\n');
  }
}

/** A value read when scraped (queue depth, running calls). */
export class Gauge implements Metric {
  readonly name: string;
  readonly help: string;
  readonly collect: () => Array<[Labels, number]>;

  constructor(name: string, help: string, collect: () => Array<[Labels, number]>) {
    this.name = name;
    this.help = help;
    this.collect = collect;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.collect())
      lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    return lines.join('\n');
  }
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram implements Metric {
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = buckets;
  }

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: formatNumber(bound) })} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

/** The metrics one server exposes at `GET /metrics`. */
export class ServerMetrics {
  readonly requests = new Counter('mlkit_http_requests_total', 'HTTP requests by route, method and status.');
  readonly errors = new Counter(
    'mlkit_http_request_errors_total',
    'HTTP requests answered with status >= 400.',
  );
  readonly latency = new Histogram(
    'mlkit_http_request_duration_seconds',
    'Seconds from request to the end of the response (streams: to their last event).',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  readonly batchItems = new Histogram(
    'mlkit_batch_size',
    'Items (rows or texts) per model run.',
    [1, 2, 4, 8, 16, 32, 64, 128, 256],
  );
  readonly batchRequests = new Histogram(
    'mlkit_batch_requests',
    'Requests merged into one model run.',
    [1, 2, 4, 8, 16, 32, 64, 128],
  );
  readonly inputTokens = new Counter(
    'mlkit_input_tokens_total',
    'Prompt or input tokens processed, by model.',
  );
  readonly outputTokens = new Counter('mlkit_output_tokens_total', 'Tokens generated, by model.');
  readonly #gauges: Gauge[] = [];

  /** Add gauges read at scrape time (the server adds queue depth and running calls per model). */
  addGauge(gauge: Gauge): void {
    this.#gauges.push(gauge);
  }

  /** Record one finished HTTP exchange. */
  recordRequest(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.requests.inc(labels);
    if (status >= 400) this.errors.inc(labels);
    this.latency.observe({ route }, seconds);
  }

  render(): string {
    const metrics: Metric[] = [
      this.requests,
      this.errors,
      this.latency,
      ...this.#gauges,
      this.batchItems,
      this.batchRequests,
      this.inputTokens,
      this.outputTokens,
    ];
    return `${metrics.map((metric) => metric.render()).join('\n')}\n`;
  }
}
