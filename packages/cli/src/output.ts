import type { TaskName } from '@mlkit/core';

/** JSON of an output: typed arrays as arrays, 64-bit integers as numbers when exact, else strings. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === 'bigint')
        return Number.isSafeInteger(Number(item)) ? Number(item) : item.toString();
      if (ArrayBuffer.isView(item) && !(item instanceof DataView)) {
        return Array.from(item as unknown as ArrayLike<number | bigint>, (element) =>
          typeof element === 'bigint' ? Number(element) : element,
        );
      }
      return item;
    },
    indent,
  );
}

/** A number with at most `digits` decimals and no trailing zeros. */
export function round(value: number, digits = 4): string {
  return String(Number(value.toFixed(digits)));
}

/** A short human reading of a task's output. */
export function pretty(task: TaskName, output: unknown): string {
  switch (task) {
    case 'text-generation': {
      const { text, toolCalls, object, refusal } = output as {
        text: string;
        toolCalls?: { name: string; arguments: unknown }[];
        object?: unknown;
        refusal?: string;
      };
      const lines = [];
      if (refusal !== undefined) lines.push(`refusal: ${refusal}`);
      else if (object !== undefined) lines.push(toJson(object, 2));
      else if (text !== '') lines.push(text);
      for (const call of toolCalls ?? []) lines.push(`tool call ${call.name}(${toJson(call.arguments)})`);
      return lines.join('\n');
    }
    case 'classification': {
      const { predictions } = output as { predictions: { label: string; score: number }[] };
      return predictions
        .map((prediction, index) =>
          predictions.length > 1
            ? `${index}: ${prediction.label} (${round(prediction.score)})`
            : `${prediction.label} (${round(prediction.score)})`,
        )
        .join('\n');
    }
    case 'embedding': {
      const { embeddings, dimensions } = output as { embeddings: Float32Array[]; dimensions: number };
      return embeddings
        .map((vector, index) => {
          const head = Array.from(vector.subarray(0, 6), (value) => round(value)).join(', ');
          return `${index}: [${head}${vector.length > 6 ? ', …' : ''}] (${dimensions} dimensions)`;
        })
        .join('\n');
    }
    case 'tensor': {
      const { outputs } = output as {
        outputs: Record<string, { dtype: string; shape: number[]; data: ArrayLike<unknown> }>;
      };
      return Object.entries(outputs)
        .map(([name, tensor]) => {
          const head = Array.from({ length: Math.min(tensor.data.length, 8) }, (_, i) => {
            const value = tensor.data[i];
            return typeof value === 'number' ? round(value) : String(value);
          }).join(', ');
          return `${name}: ${tensor.dtype}[${tensor.shape.join(', ')}] [${head}${tensor.data.length > 8 ? ', …' : ''}]`;
        })
        .join('\n');
    }
    case 'image-classification': {
      const { predictions } = output as { predictions: { label: string; score: number }[][] };
      return predictions
        .map((labels, index) => {
          const line = labels.map((label) => `${label.label} (${round(label.score)})`).join(', ');
          return predictions.length > 1 ? `${index}: ${line}` : line;
        })
        .join('\n');
    }
    case 'object-detection': {
      const { detections } = output as {
        detections: {
          label: string;
          score: number;
          box: Record<'xmin' | 'ymin' | 'xmax' | 'ymax', number>;
        }[][];
      };
      return detections
        .flatMap((found, index) => {
          const prefix = detections.length > 1 ? `${index}: ` : '';
          if (found.length === 0) return [`${prefix}(nothing above the threshold)`];
          return found.map(
            ({ label, score, box }) =>
              `${prefix}${label} (${round(score)}) at [${[box.xmin, box.ymin, box.xmax, box.ymax].map((value) => round(value, 1)).join(', ')}]`,
          );
        })
        .join('\n');
    }
    case 'speech-to-text': {
      const { text, segments } = output as {
        text: string;
        segments?: { start: number; end: number; text: string }[];
      };
      if (!segments?.length) return text;
      return segments
        .map((segment) => `[${round(segment.start, 2)}-${round(segment.end, 2)}] ${segment.text}`)
        .join('\n');
    }
    default:
      return toJson(output, 2);
  }
}
