import type { BreakEven } from '@mlkit/core';
import { round } from '../output.ts';

/** One model's line of the comparison. */
export interface ModelRow {
  /** The name the command line gave it (name=model, or its last path segment). */
  name: string;
  id: string;
  /** Self-run: runs in this process, or its pricing has a monthly fixed cost. */
  selfRun: boolean;
  calls: number;
  errors: number;
  /** The first error's message, when some calls failed. */
  firstError?: string;
  /** Latency of the answered calls, median and 95th percentile (nearest rank). */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Answered calls per second of this model's run. */
  callsPerSecond: number;
  /** Measured cost of 1,000 answered calls under its pricing (the monthly fixed cost aside); null without pricing. */
  usdPer1kCalls: number | null;
  /** The pricing's fixed monthly cost, when it has one. */
  usdPerMonth: number | null;
  /** Mean agreement with the first model over the inputs both answered; null for the first model. */
  agreement: number | null;
  /** How many inputs both this model and the first one answered. */
  agreementCalls: number;
}

/** Where a self-run model starts to pay off against a hosted one. */
export interface BreakEvenRow extends Omit<BreakEven, 'callsPerMonth'> {
  hosted: string;
  selfRun: string;
  /** Calls a month from which self-running costs less; null when it never does. */
  callsPerMonth: number | null;
}

/** What `mlkit compare --json` prints. */
export interface CompareReport {
  task: string;
  data: string;
  inputs: number;
  concurrency: number;
  /** The model the others' agreement is measured against (the first one). */
  baseline: string;
  /** What agreement means for this task. */
  agreementMeasure: string;
  models: ModelRow[];
  breakEven: BreakEvenRow[];
}

/** The value at percentile `p` (0..100) of `values`, nearest rank; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function usd(value: number | null): string {
  if (value === null) return '-';
  if (value === 0) return '0';
  return value >= 1e-4 ? value.toPrecision(3) : value.toExponential(2);
}

function cells(report: CompareReport): { header: string[]; rows: string[][] } {
  const header = ['model', 'calls', 'errors', 'p50 ms', 'p95 ms', 'calls/s', 'USD/1K calls', `agreement`];
  const rows = report.models.map((row) => [
    row.name,
    String(row.calls),
    String(row.errors),
    row.p50Ms === null ? '-' : round(row.p50Ms, 1),
    row.p95Ms === null ? '-' : round(row.p95Ms, 1),
    round(row.callsPerSecond, 1),
    usd(row.usdPer1kCalls),
    row.agreement === null ? 'baseline' : `${round(row.agreement, 3)} (${row.agreementCalls})`,
  ]);
  return { header, rows };
}

function breakEvenLine(row: BreakEvenRow): string {
  const volume =
    row.callsPerMonth === null
      ? 'never cheaper (a self-run call costs as much as a hosted one or more)'
      : `cheaper from ${row.callsPerMonth.toLocaleString('en-US')} calls a month`;
  return `${row.selfRun} vs ${row.hosted}: self-running is ${volume} ($${row.selfRunUsdPerMonth}/month fixed; $${usd(row.hostedUsdPerCall)} per hosted call, $${usd(row.selfRunUsdPerCall)} per self-run call)`;
}

function summary(report: CompareReport): string {
  return `${report.inputs} inputs from ${report.data}, task ${report.task}, ${report.concurrency} at a time; agreement: ${report.agreementMeasure} with ${report.baseline} (inputs both answered)`;
}

function notes(report: CompareReport): string[] {
  const lines: string[] = [];
  for (const row of report.models)
    if (row.firstError)
      lines.push(`${row.name}: ${row.errors} of ${row.calls} calls failed; the first: ${row.firstError}`);
  if (report.breakEven.length === 0)
    lines.push('Break-even: needs --pricing for a hosted and a self-run model that both answered.');
  return lines;
}

/** The side-by-side table for a terminal. */
export function renderText(report: CompareReport): string {
  const { header, rows } = cells(report);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [
    summary(report),
    '',
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(line),
    '',
    ...report.breakEven.map((row) => `Break-even: ${breakEvenLine(row)}`),
    ...notes(report),
  ].join('\n');
}

/** The same as a Markdown table, for a pull request or an issue. */
export function renderMarkdown(report: CompareReport): string {
  const { header, rows } = cells(report);
  const line = (row: string[]) => `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [
    summary(report),
    '',
    line(header),
    `| ${header.map((_, column) => (column === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map(line),
    '',
    ...report.breakEven.map((row) => `- Break-even: ${breakEvenLine(row)}`),
    ...notes(report).map((note) => `- ${note}`),
  ].join('\n');
}
