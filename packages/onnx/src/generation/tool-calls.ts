/**
 * Tool-call formats of open models: how a model writes its calls (Hermes/Qwen `<tool_call>` blocks,
 * Llama 3.1 JSON, Mistral `[TOOL_CALLS]`), how to tell which one a chat template uses, the grammar
 * that constrains decoding to well-formed calls of the given tools, and the parsers that read the
 * calls back out of generated text, at the end or piece by piece while streaming.
 */
import type { JsonSchema } from '@mlkit/core';
import { z } from 'zod';
import type { Grammar } from './constrained/index.ts';

/** Schema of the tool-call format names (the load option `toolCallFormat`). */
export const ToolCallFormatName = z.enum(['hermes', 'llama3-json', 'mistral']);
/** `'hermes'` (Qwen2.5, Hermes: `<tool_call>{...}</tool_call>`), `'llama3-json'` or `'mistral'` (`[TOOL_CALLS][...]`). */
export type ToolCallFormatName = z.infer<typeof ToolCallFormatName>;

/** A call read from generated text: arguments as the model wrote them (JSON text). */
export interface ParsedToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A tool as the grammar needs it: its name and its parameters as JSON Schema. */
export interface GrammarTool {
  name: string;
  parameters: JsonSchema;
}

/** How one family of models writes tool calls. */
export interface ToolCallFormat {
  readonly name: ToolCallFormatName;
  /** The text that opens the calls; a single added token in the model's vocabulary where it has one. */
  readonly trigger: string;
  /** The key the arguments object sits under: 'arguments', or Llama's 'parameters'. */
  readonly argumentsKey: 'arguments' | 'parameters';
  /**
   * The grammar of the calls: up to `maxCalls` of the tools, each name with its own parameters.
   * With `withTrigger` false the grammar starts right after the trigger (the model already wrote it).
   */
  grammar(tools: readonly GrammarTool[], options: { maxCalls: number; withTrigger: boolean }): Grammar;
  /** A new id for a call (formats that carry ids have their own shape). */
  newId(): string;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomId(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const byte of bytes) out += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return out;
}

const literal = (text: string): Grammar => ({ type: 'literal', text });
const sequence = (...items: Grammar[]): Grammar => ({ type: 'sequence', items });

/** `{"name": "<tool>", "<key>": <arguments>}` for each tool, the arguments matching that tool's parameters. */
function callObject(tools: readonly GrammarTool[], key: string): Grammar {
  return {
    type: 'choice',
    options: tools.map((tool) =>
      sequence(
        literal(`{"name": ${JSON.stringify(tool.name)}, "${key}": `),
        { type: 'json', schema: tool.parameters },
        literal('}'),
      ),
    ),
  };
}

/** `first`, then up to `more` times `separator` + `next` (nested optional groups). */
function repeated(first: Grammar, separator: Grammar, next: Grammar, more: number): Grammar {
  if (more <= 0) return first;
  let tail: Grammar = literal('');
  for (let i = 0; i < more; i++)
    tail = { type: 'choice', options: [literal(''), sequence(separator, next, tail)] };
  return sequence(first, tail);
}

const hermes: ToolCallFormat = {
  name: 'hermes',
  trigger: '<tool_call>',
  argumentsKey: 'arguments',
  grammar(tools, { maxCalls, withTrigger }) {
    const block = sequence(literal('\n'), callObject(tools, 'arguments'), literal('\n</tool_call>'));
    const first = withTrigger ? sequence(literal('<tool_call>'), block) : block;
    return repeated(first, literal('\n<tool_call>'), block, maxCalls - 1);
  },
  newId: () => `call_${randomId(24)}`,
};

const llama3Json: ToolCallFormat = {
  name: 'llama3-json',
  trigger: '<|python_tag|>',
  argumentsKey: 'parameters',
  grammar(tools, { maxCalls }) {
    // Llama 3.1 writes custom-tool calls as bare JSON; `<|python_tag|>` is optional, so it is left out.
    const call = callObject(tools, 'parameters');
    return repeated(call, literal('; '), call, maxCalls - 1);
  },
  newId: () => `call_${randomId(24)}`,
};

const mistral: ToolCallFormat = {
  name: 'mistral',
  trigger: '[TOOL_CALLS]',
  argumentsKey: 'arguments',
  grammar(tools, { maxCalls, withTrigger }) {
    const call = callObject(tools, 'arguments');
    const list = sequence(literal('['), repeated(call, literal(', '), call, maxCalls - 1), literal(']'));
    return withTrigger ? sequence(literal('[TOOL_CALLS]'), list) : list;
  },
  // Mistral's templates require ids of exactly 9 letters and digits.
  newId: () => randomId(9),
};

/** The format of each name. */
export const toolCallFormats: Record<ToolCallFormatName, ToolCallFormat> = {
  hermes,
  'llama3-json': llama3Json,
  mistral,
};

/** Whether a chat template renders the `tools` variable (so the model is told what it may call). */
export function templateTakesTools(source: string): boolean {
  return /\btools\b/.test(source);
}

/** The tool-call format a chat template teaches its model, read from the template text; undefined if none. */
export function detectToolCallFormat(source: string): ToolCallFormatName | undefined {
  if (source.includes('[TOOL_CALLS]')) return 'mistral';
  if (source.includes('<tool_call>')) return 'hermes';
  if (source.includes('<|python_tag|>') || (/\btools\b/.test(source) && source.includes('"parameters"')))
    return 'llama3-json';
  return undefined;
}

/** Where the JSON value starting at `from` ends (the index after it), or -1 if `text` ends first. */
export function jsonValueEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (i >= text.length) return -1;
  const first = text[i]!;
  if (first !== '{' && first !== '[' && first !== '"') {
    // A bare scalar (number, true, null) ends at the first delimiter; at the end of the text it may go on.
    const match = /^[^\s,}\]]+/.exec(text.slice(i))!;
    const end = i + match[0].length;
    return end < text.length ? end : -1;
  }
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const CALL_HEAD = /\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"(?:arguments|parameters)"\s*:\s*/y;

/**
 * Reads calls out of the text after a format's trigger as it grows: each `{"name": ..., "arguments": ...}`
 * object gives its name as soon as it is written, its arguments piece by piece, and the whole call when
 * its arguments close. Text between calls (`</tool_call>`, `, `, `]`) is skipped.
 */
export class ToolCallScanner {
  readonly #format: ToolCallFormat;
  #text = '';
  #at = 0;
  #current: { id: string; name: string; argumentsFrom: number; sent: number } | undefined;
  readonly calls: ParsedToolCall[] = [];

  constructor(format: ToolCallFormat) {
    this.#format = format;
  }

  /** Whether a call has begun (its name was written) but its arguments have not closed yet. */
  get open(): boolean {
    return this.#current !== undefined;
  }

  /** Add text; returns the events it completes, in order. */
  push(
    piece: string,
  ): (
    | { type: 'delta'; index: number; id: string; name: string; argumentsDelta: string }
    | { type: 'call'; index: number; call: ParsedToolCall }
  )[] {
    this.#text += piece;
    const events: ReturnType<ToolCallScanner['push']> = [];
    for (;;) {
      if (!this.#current) {
        const start = this.#text.indexOf('{', this.#at);
        if (start < 0) {
          this.#at = this.#text.length;
          return events;
        }
        CALL_HEAD.lastIndex = start;
        const head = CALL_HEAD.exec(this.#text);
        if (!head) {
          // Not enough text yet to tell, or a '{' that opens no call: wait, or skip it.
          if (this.#couldStillBeHead(start)) {
            this.#at = start;
            return events;
          }
          this.#at = start + 1;
          continue;
        }
        const argumentsFrom = start + head[0].length;
        let name = head[1]!;
        try {
          name = JSON.parse(`"${name}"`) as string;
        } catch {}
        this.#current = { id: this.#format.newId(), name, argumentsFrom, sent: argumentsFrom };
      }
      const current = this.#current;
      const end = jsonValueEnd(this.#text, current.argumentsFrom);
      const upTo = end < 0 ? this.#text.length : end;
      if (upTo > current.sent) {
        events.push({
          type: 'delta',
          index: this.calls.length,
          id: current.id,
          name: current.name,
          argumentsDelta: this.#text.slice(current.sent, upTo),
        });
        current.sent = upTo;
      }
      if (end < 0) return events;
      const call = {
        id: current.id,
        name: current.name,
        arguments: this.#text.slice(current.argumentsFrom, end).trim(),
      };
      events.push({ type: 'call', index: this.calls.length, call });
      this.calls.push(call);
      this.#current = undefined;
      this.#at = end;
    }
  }

  #couldStillBeHead(start: number): boolean {
    return isCallHeadPrefix(this.#text.slice(start));
  }
}

const HEAD_PIECES: (string[] | 'space' | 'name')[] = [
  ['{'],
  'space',
  ['"name"'],
  'space',
  [':'],
  'space',
  ['"'],
  'name',
  ['"'],
  'space',
  [','],
  'space',
  ['"arguments"', '"parameters"'],
  'space',
  [':'],
];

/** Whether `text` is the start of a call head `{"name": "...", "arguments": ` that more text could complete. */
function isCallHeadPrefix(text: string): boolean {
  let at = 0;
  for (const piece of HEAD_PIECES) {
    if (piece === 'space') {
      while (at < text.length && /\s/.test(text[at]!)) at++;
    } else if (piece === 'name') {
      while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    } else {
      const rest = text.slice(at);
      const fits = piece.find((word) => word.startsWith(rest) || rest.startsWith(word));
      if (fits === undefined) return false;
      if (rest.length <= fits.length) return true;
      at += fits.length;
    }
    if (at >= text.length) return true;
  }
  return true;
}

/**
 * The calls in a whole generated text, and the text before the first call. Calls are found after the
 * format's trigger; Llama's JSON calls also without `<|python_tag|>` when the answer is nothing but calls.
 */
export function parseToolCalls(
  format: ToolCallFormat,
  generated: string,
): { text: string; calls: ParsedToolCall[] } {
  let at = generated.indexOf(format.trigger);
  let from = at + format.trigger.length;
  if (at < 0 && format.name === 'llama3-json' && /^\s*\{\s*"name"/.test(generated)) {
    at = 0;
    from = 0;
  }
  if (at < 0) return { text: generated, calls: [] };
  const scanner = new ToolCallScanner(format);
  scanner.push(generated.slice(from));
  return { text: generated.slice(0, at).trimEnd(), calls: scanner.calls };
}
