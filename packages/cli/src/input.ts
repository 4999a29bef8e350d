import { readFileSync } from 'node:fs';
import { InvalidInputError, type TaskName, TENSOR_ARRAYS } from '@mlkit/core';

/**
 * A media argument: an http(s)/data URL as it is, else a file path read into bytes (the model
 * decodes them). A path that cannot be read is an InvalidInputError naming it.
 */
function mediaOf(text: string, where: string, what: string): string | Uint8Array {
  if (/^(https?|data):/i.test(text)) return text;
  try {
    return new Uint8Array(readFileSync(text));
  } catch (cause) {
    throw new InvalidInputError(
      `${where}: cannot read the ${what} file "${text}" (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); pass a file path or an http(s)/data URL`,
      { issues: [{ path: where, message: `expected a readable ${what} file` }], cause },
    );
  }
}

/**
 * What a task takes when given plain text: a prompt, the texts to embed, the text to classify or to
 * speak, the image (vision tasks) or the recording (speech to text) as a file path or URL.
 */
export function inputFromText(text: string, task: TaskName, where = 'input'): unknown {
  switch (task) {
    case 'text-generation':
      return { prompt: text };
    case 'embedding':
      return { texts: [text] };
    case 'classification':
    case 'text-to-speech':
      return { text };
    case 'image-classification':
    case 'object-detection':
      return { image: mediaOf(text, where, 'image') };
    case 'speech-to-text':
      return { audio: mediaOf(text, where, 'audio') };
    default:
      throw new InvalidInputError(
        `${where}: a ${task} model takes a JSON object, not plain text (e.g. {"inputs": {"x": {"dtype": "float32", "shape": [1, 4], "data": [1, 2, 3, 4]}}})`,
        { issues: [{ path: where, message: 'expected a JSON object' }] },
      );
  }
}

/**
 * One input from the command line or stdin: a JSON object is the task's input as it is (tensor data
 * as plain arrays), anything else is plain text (see inputFromText).
 */
export function parseInput(text: string, task: TaskName, where = 'input'): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return inputFromText(text.replace(/\r?\n$/, ''), task, where);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (cause) {
    throw new InvalidInputError(
      `${where} starts with "{" but is not valid JSON (${(cause as Error).message}); pass a JSON object or plain text`,
      { issues: [{ path: where, message: 'expected JSON' }], cause },
    );
  }
  return fromJson(value, task);
}

/**
 * The inputs of a JSONL file: each line a JSON object (the task's input) or a JSON string (plain
 * text); blank lines are skipped. Errors name the line.
 */
export function parseJsonl(text: string, task: TaskName, file: string): unknown[] {
  const inputs: unknown[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const where = `${file}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new InvalidInputError(
        `${where} is not valid JSON (${(cause as Error).message}); each line is a JSON object (the task's input) or a JSON string`,
        { issues: [{ path: where, message: 'expected JSON' }], cause },
      );
    }
    if (typeof value === 'string') inputs.push(inputFromText(value, task, where));
    else if (typeof value === 'object' && value !== null && !Array.isArray(value))
      inputs.push(fromJson(value, task));
    else {
      throw new InvalidInputError(
        `${where} must be a JSON object or a JSON string (got ${JSON.stringify(value)})`,
        {
          issues: [{ path: where, message: 'expected an object or a string' }],
        },
      );
    }
  }
  if (inputs.length === 0) {
    throw new InvalidInputError(`${file} has no inputs; write one JSON object or string per line`, {
      issues: [{ path: file, message: 'empty' }],
    });
  }
  return inputs;
}

/** JSON has no typed arrays: a tensor's `data` array becomes its dtype's typed array. */
function fromJson(value: unknown, task: TaskName): unknown {
  if (task !== 'tensor') return value;
  const inputs = (value as { inputs?: unknown }).inputs;
  if (typeof inputs !== 'object' || inputs === null) return value;
  const converted: Record<string, unknown> = {};
  for (const [name, tensor] of Object.entries(inputs)) {
    const { dtype, data } = (tensor ?? {}) as { dtype?: string; data?: unknown };
    const Array_ =
      dtype && dtype !== 'string' && Object.hasOwn(TENSOR_ARRAYS, dtype)
        ? TENSOR_ARRAYS[dtype as keyof typeof TENSOR_ARRAYS]
        : undefined;
    if (Array_ && Array.isArray(data)) {
      const big = dtype === 'int64' || dtype === 'uint64';
      converted[name] = {
        ...(tensor as object),
        data: (Array_ as unknown as { from(values: unknown[]): unknown }).from(
          big
            ? data.map((item) => BigInt(item as number))
            : data.map((item) => (typeof item === 'boolean' ? Number(item) : item)),
        ),
      };
    } else {
      converted[name] = tensor;
    }
  }
  return { ...(value as object), inputs: converted };
}
