import {
  type ClassificationTask,
  classification,
  InvalidInputError,
  ModelLoadError,
  type Prediction,
  type Usage,
} from '@mlkit/core';
import { MicroBatcher } from '../batcher.ts';
import { resolveLabels, sigmoidInPlace, softmaxInPlace } from '../labels.ts';
import type { OrtTensor } from '../ort.ts';
import { describeValue, requireFeedableInputs, type Session, type ValueInfo } from '../session.ts';
import { floatSlice } from '../tensors.ts';
import { groupByLength, loadTokenizer, padBatch, type TextTokenizer, textFeeds } from '../tokenizer.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

type Item = string | number[];
interface Scored {
  prediction: Prediction;
  tokens: number;
}

const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

/** How the model's outputs turn into class probabilities. */
interface OutputPlan {
  /** The output holding one row of scores per item. */
  name: string;
  /** 'softmax' for logits, 'sigmoid' for multi-label logits, 'none' for probabilities. */
  activation: 'softmax' | 'sigmoid' | 'none';
  classes: number | undefined;
}

function classesOf(info: ValueInfo): number | undefined {
  const last = info.shape?.at(-1);
  return typeof last === 'number' && last > 0 ? last : undefined;
}

/**
 * Pick the scores output: scikit-learn's `output_probability` (exported with zipmap=False), a
 * `probabilities` output, else `logits` or the only float output of rank 2.
 */
function planOutputs(session: Session, label: string, multiLabel: boolean): OutputPlan {
  const outputs = [...session.outputs.values()];
  const found = outputs.map(describeValue).join(', ');
  const probability = session.outputs.get('output_probability');
  if (probability) {
    if (probability.type === undefined) {
      throw new ModelLoadError(
        `${label}: output_probability is a sequence of maps (skl2onnx ZipMap); export it as a tensor with options={'zipmap': False}`,
      );
    }
    return { name: 'output_probability', activation: 'none', classes: classesOf(probability) };
  }
  const byName = (pattern: RegExp) =>
    outputs.find((o) => pattern.test(o.name) && FLOAT_TYPES.has(o.type ?? ''));
  const probabilities = byName(/^(probabilities|probability|probs|scores)$/i);
  if (probabilities)
    return { name: probabilities.name, activation: 'none', classes: classesOf(probabilities) };
  const logits =
    byName(/logits/i) ?? outputs.find((o) => FLOAT_TYPES.has(o.type ?? '') && (o.shape?.length ?? 2) === 2);
  if (logits) {
    return { name: logits.name, activation: multiLabel ? 'sigmoid' : 'softmax', classes: classesOf(logits) };
  }
  throw new ModelLoadError(
    `${label}: a classification model needs an output of class scores (output_label + output_probability, probabilities, or logits [batch, classes]); found ${found}`,
  );
}

/** The `classification` task: text (tokenizer + logits + id2label) or tabular rows (scikit-learn-style or logits). */
export function classificationTask({
  session,
  folder,
  options,
  label,
  device,
  classifierLabels,
}: TaskContext): TaskRunner<ClassificationTask> {
  const inputs = [...session.inputs.values()];
  const textInput = session.inputs.get('input_ids');
  const tabularInput = inputs.find((i) => FLOAT_TYPES.has(i.type ?? ''));
  const mode: 'text' | 'tabular' | undefined = textInput
    ? 'text'
    : tabularInput && inputs.length === 1
      ? 'tabular'
      : undefined;
  if (!mode) {
    throw new ModelLoadError(
      `${label}: classification expects a text model (int64 input_ids) or a tabular model (one float input [batch, features]); found inputs ${inputs.map(describeValue).join(', ')}`,
    );
  }
  if (mode === 'text') {
    requireFeedableInputs(session, label, 'text classification', (name) =>
      ['input_ids', 'attention_mask', 'token_type_ids'].includes(name),
    );
  }
  const plan = planOutputs(session, label, folder.config?.problem_type === 'multi_label_classification');
  const labels = resolveLabels(folder, options.labels, plan.classes, label, classifierLabels);
  const tokenizer: TextTokenizer | undefined =
    mode === 'text' ? loadTokenizer(folder, label, options.maxLength) : undefined;
  const input = (textInput ?? tabularInput)!;
  const features = mode === 'tabular' ? featureCount(input, folder.config?.num_features) : undefined;
  const batchFixedToOne = input.shape?.[0] === 1;

  function toPredictions(scores: OrtTensor, count: number, tokens: number[]): Scored[] {
    const classes = sizeOfRow(scores, count);
    const out: Scored[] = new Array(count);
    for (let r = 0; r < count; r++) {
      const row = Float32Array.from(floatSlice(scores, r * classes, classes));
      if (plan.activation === 'softmax') softmaxInPlace(row);
      else if (plan.activation === 'sigmoid') sigmoidInPlace(row);
      let best = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
      const names = labels ?? Array.from({ length: classes }, (_, i) => `LABEL_${i}`);
      const all: Record<string, number> = {};
      for (let c = 0; c < classes; c++) all[names[c] ?? `LABEL_${c}`] = row[c]!;
      out[r] = {
        prediction: { label: names[best] ?? `LABEL_${best}`, score: row[best]!, scores: all },
        tokens: tokens[r] ?? 0,
      };
    }
    return out;
  }

  async function runText(texts: string[], signal?: AbortSignal): Promise<Scored[]> {
    const ids = new Array<number[]>(texts.length);
    const lengths = new Array<number>(texts.length);
    for (let i = 0; i < texts.length; i++) {
      ids[i] = tokenizer!.encode(texts[i]!);
      lengths[i] = ids[i]!.length;
    }
    const out = new Array<Scored>(texts.length);
    // Texts of similar length run together, so short ones are not padded to the longest of the batch.
    for (const group of groupByLength(lengths)) {
      const padded = padBatch(
        group.map((i) => ids[i]!),
        tokenizer!.padId,
      );
      const results = await session.run(textFeeds(session, padded), [plan.name], signal);
      const scored = toPredictions(results[plan.name]!, group.length, padded.lengths);
      for (let r = 0; r < group.length; r++) out[group[r]!] = scored[r]!;
    }
    return out;
  }

  async function runRows(rows: number[][], signal?: AbortSignal): Promise<Scored[]> {
    const width = rows[0]!.length;
    const data =
      input.type === 'float64'
        ? new Float64Array(rows.length * width)
        : new Float32Array(rows.length * width);
    for (const [r, row] of rows.entries()) data.set(row, r * width);
    const feeds = {
      [input.name]: new session.ort.Tensor(input.type ?? 'float32', data, [rows.length, width]),
    };
    const results = await session.run(feeds, [plan.name], signal);
    return toPredictions(results[plan.name]!, rows.length, []);
  }

  async function runBatch(items: Item[], signal?: AbortSignal): Promise<Scored[]> {
    if (batchFixedToOne && items.length > 1) {
      const out: Scored[] = [];
      for (const item of items) out.push(...(await runBatch([item], signal)));
      return out;
    }
    return typeof items[0] === 'string'
      ? runText(items as string[], signal)
      : runRows(items as number[][], signal);
  }

  const batcher =
    options.batching === false || batchFixedToOne
      ? undefined
      : new MicroBatcher<Item, Scored>({ ...options.batching, runBatch: (items) => runBatch(items) });

  function itemsOf(value: { text: string | string[] } | { rows: number[][] }): Item[] {
    if ('text' in value) {
      if (mode !== 'text') {
        throw new InvalidInputError(
          'Invalid input — input.text: this model classifies feature rows; pass { rows }',
          {
            issues: [{ path: 'input.text', message: 'this model classifies feature rows; pass { rows }' }],
          },
        );
      }
      return typeof value.text === 'string' ? [value.text] : value.text;
    }
    if (mode !== 'tabular') {
      throw new InvalidInputError('Invalid input — input.rows: this model classifies text; pass { text }', {
        issues: [{ path: 'input.rows', message: 'this model classifies text; pass { text }' }],
      });
    }
    const width = features ?? value.rows[0]!.length;
    const issues = value.rows.flatMap((row, i) =>
      row.length === width
        ? []
        : [{ path: `input.rows[${i}]`, message: `expected ${width} features, got ${row.length}` }],
    );
    if (issues.length > 0) {
      throw new InvalidInputError(
        `Invalid input — ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        { issues },
      );
    }
    return value.rows;
  }

  return {
    task: classification,
    capabilities: {
      streaming: false,
      batching: true,
      maxBatch: options.batching ? options.batching.maxBatch : undefined,
    },
    batches: () => batcher?.runs ?? 0,
    async run(value, { signal }) {
      const items = itemsOf(value);
      const started = performance.now();
      const scored = batcher ? await batcher.add(items, signal) : await runBatch(items, signal);
      const usage: Usage = {
        durationMs: performance.now() - started,
        device,
      };
      if (mode === 'text') usage.inputTokens = scored.reduce((sum, s) => sum + s.tokens, 0);
      return { predictions: scored.map((s) => s.prediction), usage };
    },
  };
}

function featureCount(input: ValueInfo, configured: unknown): number | undefined {
  const dim = input.shape?.[1];
  if (typeof dim === 'number' && dim > 0) return dim;
  return typeof configured === 'number' && configured > 0 ? configured : undefined;
}

function sizeOfRow(tensor: OrtTensor, rows: number): number {
  const dims = tensor.dims;
  if (dims.length >= 2) return dims[dims.length - 1]!;
  return Math.max(1, Math.floor(tensor.data.length / rows));
}

/** The classification task's local runner. */
export const classificationRunner: LocalRunner<ClassificationTask> = {
  needs: () => ({}),
  build: classificationTask,
};
