/**
 * How far two outputs of one input agree, 0 to 1 — the measure `shadow()` reports and `mlkit compare`
 * prints: the share of equal labels (classification), 1 or 0 for the same answer (text generation:
 * the tool calls by name and arguments, else the object, else the text), the mean cosine of the
 * vectors (embedding), 1 or 0 for equal output tensors (tensor), the share of equal top labels
 * (image classification), the share of detections the other found too (same label, IoU >= 0.5:
 * object detection), 1 or 0 for the same text (speech to text, whitespace and case folded);
 * undefined for other tasks (text to speech: audio is not compared).
 */
import type { OutputOf, Task } from '../tasks/task.ts';
import { canonicalJson } from './cache.ts';

/** Mean cosine similarity of pairs of vectors. */
function meanCosine(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) {
    const x = a[index]!;
    const y = b[index];
    if (!y || y.length !== x.length) continue;
    let dot = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < x.length; i++) {
      dot += x[i]! * y[i]!;
      xx += x[i]! * x[i]!;
      yy += y[i]! * y[i]!;
    }
    sum += xx === 0 || yy === 0 ? 0 : dot / Math.sqrt(xx * yy);
  }
  return a.length === 0 ? 0 : sum / Math.max(a.length, b.length);
}

/** The built-in agreement of two outputs of `taskName`, 0 to 1, or undefined for a task it does not know. */
export function agreementOf(taskName: string, primary: unknown, candidate: unknown): number | undefined {
  if (taskName === 'classification') {
    const a = (primary as OutputOf<Task<'classification'>> & { predictions: { label: string }[] })
      .predictions;
    const b = (candidate as { predictions: { label: string }[] }).predictions;
    const same = a.filter((prediction, index) => prediction.label === b[index]?.label).length;
    return same / Math.max(a.length, b.length, 1);
  }
  if (taskName === 'text-generation') {
    return canonicalJson(answerOf(primary)) === canonicalJson(answerOf(candidate)) ? 1 : 0;
  }
  if (taskName === 'embedding') {
    return meanCosine(
      (primary as { embeddings: Float32Array[] }).embeddings,
      (candidate as { embeddings: Float32Array[] }).embeddings,
    );
  }
  if (taskName === 'tensor') {
    const outputs = (output: unknown) => canonicalJson((output as { outputs: unknown }).outputs);
    return outputs(primary) === outputs(candidate) ? 1 : 0;
  }
  if (taskName === 'image-classification') {
    const tops = (output: unknown) =>
      (output as { predictions: { label: string }[][] }).predictions.map((labels) => labels[0]?.label);
    const a = tops(primary);
    const b = tops(candidate);
    const same = a.filter((label, index) => label !== undefined && label === b[index]).length;
    return same / Math.max(a.length, b.length, 1);
  }
  if (taskName === 'object-detection') {
    const lists = (output: unknown) => (output as { detections: Detected[][] }).detections;
    return matchedDetections(lists(primary), lists(candidate));
  }
  if (taskName === 'speech-to-text') {
    const text = (output: unknown) =>
      (output as { text: string }).text.trim().replace(/\s+/g, ' ').toLowerCase();
    return text(primary) === text(candidate) ? 1 : 0;
  }
  return undefined;
}

type Box = { xmin: number; ymin: number; xmax: number; ymax: number };
type Detected = { label: string; box: Box };

function iou(a: Box, b: Box): number {
  const width = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin);
  const height = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin);
  if (width <= 0 || height <= 0) return 0;
  const overlap = width * height;
  const area = (box: Box) => (box.xmax - box.xmin) * (box.ymax - box.ymin);
  return overlap / (area(a) + area(b) - overlap);
}

/** Detections of both sides paired one to one (same label, IoU >= 0.5), over all of them: 2 * pairs / (|a| + |b|). */
function matchedDetections(a: Detected[][], b: Detected[][]): number {
  let pairs = 0;
  let total = 0;
  for (let image = 0; image < Math.max(a.length, b.length); image++) {
    const mine = a[image] ?? [];
    const theirs = [...(b[image] ?? [])];
    total += mine.length + theirs.length;
    for (const detection of mine) {
      const match = theirs.findIndex(
        (other) => other.label === detection.label && iou(other.box, detection.box) >= 0.5,
      );
      if (match === -1) continue;
      theirs.splice(match, 1);
      pairs++;
    }
  }
  return total === 0 ? 1 : (2 * pairs) / total;
}

type GeneratedAnswer = {
  text: string;
  toolCalls?: { id: string; name: string; arguments: unknown }[];
  object?: unknown;
};

/** What two text generations must share to agree: the calls (name, arguments), else the object, else the text. */
function answerOf(output: unknown): unknown {
  const { text, toolCalls, object } = output as GeneratedAnswer;
  if (toolCalls?.length) return toolCalls.map((call) => ({ name: call.name, arguments: call.arguments }));
  return object !== undefined ? { object } : { text };
}
