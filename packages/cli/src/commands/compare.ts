import { readFile } from 'node:fs/promises';
import {
  breakEven,
  InvalidInputError,
  type MeteredModel,
  type Model,
  meter,
  Pricing,
  type TaskName,
} from '@mlkit/core';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { modelOptions, optionsOf, parse, positiveIntegerOf, taskOf, UsageError } from '../args.ts';
import { agreementMeaning, agreementOf } from '../compare/agreement.ts';
import { type CallResult, runEach } from '../compare/measure.ts';
import {
  type BreakEvenRow,
  type CompareReport,
  type ModelRow,
  percentile,
  renderMarkdown,
  renderText,
} from '../compare/report.ts';
import { parseJsonl } from '../input.ts';
import { type NamedSpec, namedSpec, openSpec, readJsonFile, uniqueNames } from '../models.ts';
import { toJson } from '../output.ts';

/** `mlkit compare --help`. */
export const compareHelp = `Usage: mlkit compare <modelA> <modelB>... --data file.jsonl [options]

Hosted or self-run? Run every model on every line of your data and print them side by side:
latency (p50, p95), throughput, errors, cost per 1,000 calls (your --pricing), agreement with the
first model (label match for classification, exact text match for text generation, mean cosine
for embeddings) and the break-even monthly volume of each self-run model against each hosted one.
The models run one after the other (so they do not compete for the machine), each <concurrency>
calls at a time. Each <model> is name=model or a model string (named after its last path segment).

The data: one input per line, a JSON object (the task's input, e.g. {"prompt": "Hi", "maxTokens": 16,
"temperature": 0}) or a JSON string (the prompt, or the text to embed or classify).

Options:
  -d, --data <file.jsonl>   the inputs (required)
      --pricing <file>      JSON prices by model name, in US dollars: {"<name>": {
                            "usdPerMillionInputTokens", "usdPerMillionOutputTokens", "usdPerRequest",
                            "usdPerComputeSecond", "usdPerMonth"}}; a model with "usdPerMonth" or
                            running in this process counts as self-run
  -n, --concurrency <n>     calls at a time per model (default 4)
  -t, --task <task>         the task (default: the first model's)
  -o, --option key=value    a createModel() option for every model (repeatable)
      --json                print the report as JSON
      --markdown            print the table as Markdown
  -h, --help                this help

Example:
  MLKIT_BASE_URL=https://api.openai.com/v1 mlkit compare hosted=openai-compatible:gpt-4o-mini \\
    local=onnx:./models/smollm --data prompts.jsonl --pricing prices.json --markdown`;

const PricingFile = z.record(z.string(), z.unknown());

/** `mlkit compare`: every model on every input, then the side-by-side report. */
export async function compare(argv: string[]): Promise<void> {
  const { values, positionals } = parse('compare', argv, {
    ...modelOptions,
    data: { type: 'string', short: 'd' },
    pricing: { type: 'string' },
    concurrency: { type: 'string', short: 'n' },
    json: { type: 'boolean' },
    markdown: { type: 'boolean' },
  });
  if (values.help) {
    console.log(compareHelp);
    return;
  }
  if (values.config !== undefined) {
    throw new UsageError('compare takes models on the command line (name=model), not --config', 'compare');
  }
  if (values.json && values.markdown) throw new UsageError('choose one of --json and --markdown', 'compare');
  if (values.data === undefined) throw new UsageError('--data file.jsonl is required', 'compare');
  const specs = positionals.map(namedSpec);
  if (specs.length < 2) {
    throw new UsageError(`compare needs two models or more (got ${specs.length})`, 'compare');
  }
  uniqueNames(specs, 'compare');
  const concurrency = positiveIntegerOf(values.concurrency, 'concurrency', 'compare') ?? 4;
  const options = optionsOf(values.option, 'compare');
  const pricing = values.pricing === undefined ? {} : await readPricing(values.pricing, specs);
  const dataText = await readFile(values.data, 'utf8').catch((cause: Error) => {
    throw new InvalidInputError(`cannot read --data ${values.data}: ${cause.message}`, {
      issues: [{ path: 'data', message: 'file not readable' }],
      cause,
    });
  });

  const models: Model[] = [];
  try {
    let task = taskOf(values.task, 'compare');
    for (const { spec } of specs) {
      const model = await openSpec(spec, { task, options });
      models.push(model);
      task ??= model.task as TaskName;
    }
    const inputs = parseJsonl(dataText, task!, values.data);
    const metered = models.map((model, index) => {
      const prices = pricing[specs[index]!.name];
      return prices ? meter(model, prices) : undefined;
    });

    const bar =
      process.stderr.isTTY && !values.json
        ? new cliProgress.SingleBar(
            { format: '{bar} {value}/{total} calls | {model}', clearOnComplete: true, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    bar?.start(inputs.length * models.length, 0, { model: specs[0]!.name });
    const runs: { results: CallResult[]; elapsedMs: number }[] = [];
    for (const [index, model] of models.entries()) {
      bar?.update({ model: specs[index]!.name });
      runs.push(await runEach(metered[index] ?? model, inputs, concurrency, () => bar?.increment()));
    }
    bar?.stop();

    const report = reportOf({
      task: task!,
      data: values.data,
      concurrency,
      inputs: inputs.length,
      specs,
      models,
      metered,
      runs,
    });
    console.log(
      values.json ? toJson(report, 2) : values.markdown ? renderMarkdown(report) : renderText(report),
    );
  } finally {
    await Promise.allSettled(models.map((model) => model.dispose()));
  }
}

/** The pricing file: each entry a Pricing, each name one of the models (a typo is an error). */
async function readPricing(file: string, specs: readonly NamedSpec[]): Promise<Record<string, Pricing>> {
  const parsed = PricingFile.safeParse(await readJsonFile(file, 'pricing'));
  if (!parsed.success)
    throw new UsageError(`${file} must be a JSON object of prices by model name`, 'compare');
  const names = specs.map((spec) => spec.name);
  const prices: Record<string, Pricing> = {};
  for (const [name, value] of Object.entries(parsed.data)) {
    if (!names.includes(name)) {
      throw new UsageError(
        `${file}: "${name}" is none of the models (${names.join(', ')}); name them name=model`,
        'compare',
      );
    }
    const price = Pricing.safeParse(value);
    if (!price.success) {
      const issue = price.error.issues[0]!;
      throw new UsageError(
        `${file}: ${[name, ...issue.path.map(String)].join('.')}: ${issue.message}`,
        'compare',
      );
    }
    prices[name] = price.data;
  }
  return prices;
}

function reportOf(measured: {
  task: TaskName;
  data: string;
  concurrency: number;
  inputs: number;
  specs: readonly NamedSpec[];
  models: readonly Model[];
  metered: readonly (MeteredModel | undefined)[];
  runs: readonly { results: CallResult[]; elapsedMs: number }[];
}): CompareReport {
  const { task, specs, models, metered, runs } = measured;
  const baseline = runs[0]!.results;
  const rows: ModelRow[] = runs.map(({ results, elapsedMs }, index) => {
    const answered = results.filter((result) => result.error === undefined);
    const failed = results.find((result) => result.error !== undefined);
    const latencies = answered.map((result) => result.durationMs);
    const totals = metered[index]?.totals();
    const scores: number[] = [];
    if (index > 0) {
      results.forEach((result, line) => {
        const base = baseline[line]!;
        if (result.error === undefined && base.error === undefined)
          scores.push(agreementOf(task, base.output, result.output));
      });
    }
    const usdPerMonth = metered[index]?.pricing.usdPerMonth;
    return {
      name: specs[index]!.name,
      id: models[index]!.id,
      selfRun: models[index]!.capabilities.local || usdPerMonth !== undefined,
      calls: results.length,
      errors: results.length - answered.length,
      ...(failed ? { firstError: (failed.error as Error)?.message ?? String(failed.error) } : {}),
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      callsPerSecond: elapsedMs > 0 ? answered.length / (elapsedMs / 1000) : 0,
      usdPer1kCalls: totals && totals.calls > 0 ? (totals.costUsd / totals.calls) * 1000 : null,
      usdPerMonth: usdPerMonth ?? null,
      agreement: index === 0 ? null : scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0,
      agreementCalls: scores.length,
    };
  });

  const breakEvens: BreakEvenRow[] = [];
  for (const [s, selfRun] of rows.entries()) {
    for (const [h, hosted] of rows.entries()) {
      const selfRunMeter = metered[s];
      const hostedMeter = metered[h];
      if (!selfRun.selfRun || hosted.selfRun || !selfRunMeter || !hostedMeter) continue;
      if (selfRunMeter.totals().calls === 0 || hostedMeter.totals().calls === 0) continue;
      const even = breakEven({ hosted: hostedMeter, selfRun: selfRunMeter });
      breakEvens.push({
        hosted: hosted.name,
        selfRun: selfRun.name,
        hostedUsdPerCall: even.hostedUsdPerCall,
        selfRunUsdPerCall: even.selfRunUsdPerCall,
        selfRunUsdPerMonth: even.selfRunUsdPerMonth,
        callsPerMonth: Number.isFinite(even.callsPerMonth) ? even.callsPerMonth : null,
      });
    }
  }
  return {
    task,
    data: measured.data,
    inputs: measured.inputs,
    concurrency: measured.concurrency,
    baseline: specs[0]!.name,
    agreementMeasure: agreementMeaning[task],
    models: rows,
    breakEven: breakEvens,
  };
}
