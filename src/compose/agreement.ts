/**
 * How far two outputs of one input agree, 0 to 1 — the measure `shadow()` reports and `mlkit compare`
 * prints: the share of equal labels (classification), 1 or 0 for the same answer (text generation:
 * the tool calls by name and arguments, else the object, else the text), the mean cosine of the
 * vectors (embedding), 1 or 0 for equal output tensors (tensor); undefined for other tasks.
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
  return undefined;
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
