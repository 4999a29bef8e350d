/**
 * What every text-generation model does after the model ran, hosted or local alike: tool-call
 * arguments parsed and checked against their tool's schema, and (with `responseFormat` json) the
 * answer parsed and checked against its schema. A failure is an InvalidOutputError, never a
 * silent pass. The text-generation task imports this module (and with it the JSON Schema validator)
 * only for a call that has something to check, so a plain chat call's bundle does not carry it.
 */
import { InvalidOutputError } from '../errors.ts';
import { checkAgainstSchema, type SchemaIssue } from './json-schema-check.ts';
import type { ParsedInputOf } from './task.ts';
import type {
  TextGenerationChunk,
  TextGenerationOutput,
  TextGenerationTask,
  ToolCall,
} from './text-generation.ts';

type Input = ParsedInputOf<TextGenerationTask>;

function summary(issues: SchemaIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => `${issue.path}: ${issue.message}`);
  if (issues.length > 3) shown.push(`and ${issues.length - 3} more`);
  return shown.join('; ');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** A tool call with its arguments parsed (when given as JSON text) and checked against its tool's schema. */
function checkToolCall<C extends Pick<ToolCall, 'name' | 'arguments'>>(call: C, input: Input): C {
  const tool = input.tools?.find((candidate) => candidate.name === call.name);
  const raw = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? null);
  if (!tool) {
    const names = input.tools?.map((candidate) => candidate.name).join(', ') || 'none were given';
    throw new InvalidOutputError(
      `The model called a tool named "${call.name}", which is not one of the tools (${names})`,
      {
        text: raw,
        toolName: call.name,
        issues: [{ path: 'name', message: `unknown tool "${call.name}"` }],
      },
    );
  }
  let value = call.arguments;
  if (typeof value === 'string') {
    // Some servers send "" for a tool without arguments.
    const parsed = value.trim() === '' ? { ok: true as const, value: {} } : parseJson(value);
    if (!parsed.ok) {
      throw new InvalidOutputError(
        `The model called tool "${call.name}" with arguments that are not JSON (${parsed.message}): ${clip(value)}`,
        { text: value, toolName: call.name, issues: [{ path: 'arguments', message: parsed.message }] },
      );
    }
    value = parsed.value;
  }
  const check = checkAgainstSchema(tool.parameters, value);
  if (!check.success) {
    throw new InvalidOutputError(
      `The model called tool "${call.name}" with arguments that do not match its parameters — ${summary(check.issues)}`,
      { text: raw, toolName: call.name, issues: check.issues },
    );
  }
  return { ...call, arguments: check.value };
}

/** The answer of a json `responseFormat`, parsed and checked; undefined for text answers. */
function checkObject(
  input: Input,
  text: string,
  finishReason: TextGenerationOutput['finishReason'],
  given: unknown,
): unknown {
  const format = input.responseFormat;
  if (format?.type !== 'json') return undefined;
  if (finishReason === 'length') {
    throw new InvalidOutputError(
      `The JSON answer was cut off at maxTokens${input.maxTokens === undefined ? '' : ` (${input.maxTokens})`} before it was complete; raise maxTokens`,
      { text, issues: [{ path: '(root)', message: 'incomplete document (finishReason "length")' }] },
    );
  }
  let value = given;
  if (value === undefined) {
    const parsed = parseJson(text);
    if (!parsed.ok) {
      throw new InvalidOutputError(`The answer is not JSON (${parsed.message}): ${clip(text)}`, {
        text,
        issues: [{ path: '(root)', message: parsed.message }],
      });
    }
    value = parsed.value;
  }
  if (!format.schema) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidOutputError(`The answer is JSON but not an object: ${clip(text)}`, {
        text,
        issues: [{ path: '(root)', message: 'expected a JSON object' }],
      });
    }
    return value;
  }
  const check = checkAgainstSchema(format.schema, value);
  if (!check.success) {
    throw new InvalidOutputError(`The answer does not match the response schema — ${summary(check.issues)}`, {
      text,
      issues: check.issues,
    });
  }
  return check.value;
}

function needsCheck(input: Input): boolean {
  return (input.tools !== undefined && input.tools.length > 0) || input.responseFormat?.type === 'json';
}

/** A run's output with tool calls and the json answer parsed and checked. */
export function checkTextGeneration(input: Input, output: TextGenerationOutput): TextGenerationOutput {
  if (!needsCheck(input) && !output.toolCalls?.length) return output;
  let result = output;
  if (output.toolCalls?.length) {
    result = { ...result, toolCalls: output.toolCalls.map((call) => checkToolCall(call, input)) };
  } else if (output.refusal === undefined) {
    const object = checkObject(input, output.text, output.finishReason, output.object);
    if (object !== undefined) result = { ...result, object };
  }
  return result;
}

/** A stream's chunks with each completed tool call and the json answer parsed and checked. */
export function checkTextGenerationStream(
  input: Input,
  chunks: AsyncIterable<TextGenerationChunk>,
): AsyncIterable<TextGenerationChunk> {
  if (!needsCheck(input)) return chunks;
  return (async function* checked() {
    const json = input.responseFormat?.type === 'json';
    let text = '';
    let calls = 0;
    for await (const chunk of chunks) {
      if (chunk.type === 'text-delta') {
        if (json) text += chunk.text;
      } else if (chunk.type === 'tool-call') {
        calls++;
        yield checkToolCall(chunk, input);
        continue;
      } else if (chunk.type === 'finish' && json && calls === 0 && chunk.refusal === undefined) {
        yield { ...chunk, object: checkObject(input, text, chunk.finishReason, chunk.object) };
        continue;
      }
      yield chunk;
    }
  })();
}
