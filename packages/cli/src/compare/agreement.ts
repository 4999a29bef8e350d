import type { TaskName } from '@mlkit/core';

/** What "agree" means for each task, in the report's words. */
export const agreementMeaning: Record<TaskName, string> = {
  'text-generation': 'exact text match',
  classification: 'label match',
  embedding: 'mean embedding cosine',
  tensor: 'equal output tensors',
};

function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}

/** Mean over a list, 0 for none. */
function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * How far two outputs of one input agree, 0 to 1: the share of equal labels (classification), 1 or
 * 0 for the same text or not (text generation; tool calls by name and arguments), the mean cosine of
 * the vectors (embedding), 1 or 0 for equal tensors.
 */
export function agreementOf(task: TaskName, a: unknown, b: unknown): number {
  switch (task) {
    case 'classification': {
      const x = (a as { predictions: { label: string }[] }).predictions;
      const y = (b as { predictions: { label: string }[] }).predictions;
      const same = x.filter((prediction, index) => prediction.label === y[index]?.label).length;
      return same / Math.max(x.length, y.length, 1);
    }
    case 'text-generation': {
      const answer = (output: unknown) => {
        const { text, toolCalls } = output as {
          text: string;
          toolCalls?: { name: string; arguments: unknown }[];
        };
        return toolCalls?.length
          ? JSON.stringify(toolCalls.map((call) => [call.name, call.arguments]))
          : text;
      };
      return answer(a) === answer(b) ? 1 : 0;
    }
    case 'embedding': {
      const x = (a as { embeddings: Float32Array[] }).embeddings;
      const y = (b as { embeddings: Float32Array[] }).embeddings;
      if (x.length !== y.length) return 0;
      return mean(x.map((vector, index) => cosine(vector, y[index]!)));
    }
    default: {
      const serialize = (output: unknown) =>
        JSON.stringify((output as { outputs: unknown }).outputs, (_key, item: unknown) =>
          typeof item === 'bigint'
            ? item.toString()
            : ArrayBuffer.isView(item)
              ? Array.from(item as never)
              : item,
        );
      return serialize(a) === serialize(b) ? 1 : 0;
    }
  }
}
