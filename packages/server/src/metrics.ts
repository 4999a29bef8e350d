/**
 * Prometheus text exposition (format 0.0.4) and OpenMetrics 1.0 text (with exemplars) for counters,
 * gauges and histograms. Hand-written because prom-client needs Node built-ins and this server also
 * runs in workers, Deno and Bun.
 */

type Labels = Record<string, string>;

/** The two text formats `GET /metrics` speaks: Prometheus 0.0.4 (the default) or OpenMetrics 1.0. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/**
 * The format an `Accept` header asks for: OpenMetrics when it names `application/openmetrics-text`
 * with a q at least that of `text/plain` (Prometheus asks so when it scrapes), else Prometheus text.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  let openMetricsQ = 0;
  let plainQ = 0;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const qParameter = parameters.find((parameter) => parameter.startsWith('q='));
    const q = qParameter === undefined ? 1 : Number(qParameter.slice(2)) || 0;
    if (type === 'application/openmetrics-text') openMetricsQ = Math.max(openMetricsQ, q);
    else if (type === 'text/plain') plainQ = Math.max(plainQ, q);
  }
  return openMetricsQ > 0 && openMetricsQ >= plainQ ? 'openmetrics' : 'prometheus';
}

/** OpenMetrics caps an exemplar's label names and values at 128 characters together. */
const MAX_EXEMPLAR_LABEL_CHARS = 128;

/** An observation kept beside a histogram bucket, tying it to one request. */
interface Exemplar {
  labels: Labels;
  value: number;
  timestampMs: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Characters (code points) of a label set's names and values together. */
function labelChars(labels: Labels): number {
  let chars = 0;
  for (const [key, value] of Object.entries(labels)) chars += [...key].length + [...value].length;
  return chars;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * A bucket bound as OpenMetrics' canonical numbers want it: Go's `%g` with `.0` added to plain
 * integers (`1.0`, `0.25`, `100000.0`, `1e+06`, `1e-05`), so one bound reads the same everywhere.
 */
function canonicalNumber(value: number): string {
  if (!Number.isFinite(value)) return formatNumber(value);
  const [digits = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const significantDigits = digits.replace(/[-.]/g, '').length;
  // Go's shortest %g switches to an exponent at 10^6, or sooner for an integer of fewer digits.
  const exponentFrom = significantDigits < 6 && significantDigits >= exponent + 1 ? significantDigits : 6;
  if (exponent < -4 || exponent >= exponentFrom) {
    return `${digits}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = String(value);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

function exemplarText({ labels, value, timestampMs }: Exemplar): string {
  return ` # ${labelText(labels) || '{}'} ${formatNumber(value)} ${(timestampMs / 1000).toFixed(3)}`;
}

interface Metric {
  render(format: ExpositionFormat): string;
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

  render(format: ExpositionFormat): string {
    // OpenMetrics names the family without `_total`; its samples keep the suffix.
    const family = format === 'openmetrics' ? this.name.replace(/_total$/, '') : this.name;
    const lines = [`# HELP ${family} ${this.help}`, `# TYPE ${family} counter`];
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

  render(_format: ExpositionFormat): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.collect())
      lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    return lines.join('\n');
  }
}

/** Observations counted into cumulative buckets, with their sum, count and (OpenMetrics) one exemplar per bucket. */
export class Histogram implements Metric {
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number; exemplars: Array<Exemplar | undefined> }
  >();

  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = buckets;
  }

  /**
   * Count `value` into its buckets. `exemplar` (e.g. `{ request_id }`) becomes the latest exemplar of
   * the one bucket the value falls in, unless its names and values pass OpenMetrics' 128 characters.
   */
  observe(labels: Labels, value: number, exemplar?: Labels): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = {
        labels,
        counts: this.buckets.map(() => 0),
        sum: 0,
        count: 0,
        exemplars: [...this.buckets, Number.POSITIVE_INFINITY].map(() => undefined),
      };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) series.counts[i]!++;
    series.sum += value;
    series.count++;
    if (exemplar && labelChars(exemplar) <= MAX_EXEMPLAR_LABEL_CHARS) {
      // The bucket whose range holds the value (the +Inf slot past the last bound).
      const bucket = this.buckets.findIndex((bound) => value <= bound);
      series.exemplars[bucket === -1 ? this.buckets.length : bucket] = {
        labels: exemplar,
        value,
        timestampMs: Date.now(),
      };
    }
  }

  render(format: ExpositionFormat): string {
    const openMetrics = format === 'openmetrics';
    const bound = openMetrics ? canonicalNumber : formatNumber;
    const withExemplar = (line: string, exemplar: Exemplar | undefined) =>
      openMetrics && exemplar ? line + exemplarText(exemplar) : line;
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count, exemplars } of this.#series.values()) {
      this.buckets.forEach((le, i) => {
        const line = `${this.name}_bucket${labelText({ ...labels, le: bound(le) })} ${counts[i]}`;
        lines.push(withExemplar(line, exemplars[i]));
      });
      const inf = `${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`;
      lines.push(withExemplar(inf, exemplars[this.buckets.length]));
      lines.push(`${this.name}_sum${labelText(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

/** Methods kept as their own `method` label; any other token a client sends counts as `other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

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

  /** Record one finished HTTP exchange; its `requestId` becomes the latency bucket's exemplar (`request_id`). */
  recordRequest(route: string, method: string, status: number, seconds: number, requestId?: string): void {
    // A fetch handler (Bun, Deno, workers) sees any method token: one series each would grow without bound.
    const labels = { route, method: METHODS.has(method) ? method : 'other', status: String(status) };
    this.requests.inc(labels);
    if (status >= 400) this.errors.inc(labels);
    this.latency.observe({ route }, seconds, requestId === undefined ? undefined : { request_id: requestId });
  }

  /** The exposition in `format`: Prometheus text 0.0.4 as before, or OpenMetrics 1.0 with exemplars and `# EOF`. */
  render(format: ExpositionFormat = 'prometheus'): string {
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
    const text = metrics.map((metric) => metric.render(format)).join('\n');
    return format === 'openmetrics' ? `${text}\n# EOF\n` : `${text}\n`;
  }

  /** The body and Content-Type that answer a scrape sending `accept` (see `negotiateFormat`). */
  exposition(accept: string | undefined): { body: string; contentType: string } {
    const format = negotiateFormat(accept);
    return { body: this.render(format), contentType: CONTENT_TYPES[format] };
  }
}
