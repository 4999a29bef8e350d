/**
 * JSON numbers byte by byte: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` with bounded digit
 * runs (15 integer digits keeps integers safe, 15 fraction and 2 exponent digits keep numbers finite), and
 * for numbers with minimum/maximum a prefix is kept only while some completion of it lies in range.
 */
import type { NumberNode } from './json-schema.ts';

/** Where in a number the text so far stands. */
export const NumberPhase = {
  Start: 0,
  Sign: 1,
  Zero: 2,
  Int: 3,
  Dot: 4,
  Frac: 5,
  Exp: 6,
  ExpSign: 7,
  ExpDigits: 8,
} as const;
export type NumberPhase = (typeof NumberPhase)[keyof typeof NumberPhase];

/** A position inside a number: the phase, digits in the current run, and (bounded numbers only) the text. */
export interface NumberPosition {
  readonly phase: NumberPhase;
  readonly digits: number;
  readonly text: string;
}

const MAX_INT_DIGITS = 15;
const MAX_FRAC_DIGITS = 15;
const MAX_EXP_DIGITS = 2;

/** Before the first byte of a number. */
export const NUMBER_START: NumberPosition = { phase: NumberPhase.Start, digits: 0, text: '' };

/** The node has a finite minimum or maximum (exponents are then not written). */
export function isBounded(node: NumberNode): boolean {
  return node.minimum > -Infinity || node.maximum < Infinity;
}

/** A key naming the position within its node (the text only where bounds make it matter). */
export function numberKey(node: NumberNode, position: NumberPosition): string {
  return isBounded(node) ? position.text : `${position.phase}.${position.digits}`;
}

/** The position after `byte`, or null when the number cannot take it. */
export function numberStep(node: NumberNode, position: NumberPosition, byte: number): NumberPosition | null {
  const digit = byte >= 0x30 && byte <= 0x39;
  const bounded = isBounded(node);
  const fraction = !node.integer;
  const exponent = fraction && !bounded;
  const exp = byte === 0x65 || byte === 0x45;
  const { phase, digits } = position;
  let next: [NumberPhase, number] | undefined;
  switch (phase) {
    case NumberPhase.Start:
    case NumberPhase.Sign:
      if (byte === 0x2d && phase === NumberPhase.Start) next = [NumberPhase.Sign, 0];
      else if (byte === 0x30) next = [NumberPhase.Zero, 1];
      else if (digit) next = [NumberPhase.Int, 1];
      break;
    case NumberPhase.Zero:
    case NumberPhase.Int:
      if (digit && phase === NumberPhase.Int && digits < MAX_INT_DIGITS) next = [NumberPhase.Int, digits + 1];
      else if (byte === 0x2e && fraction) next = [NumberPhase.Dot, 0];
      else if (exp && exponent) next = [NumberPhase.Exp, 0];
      break;
    case NumberPhase.Dot:
      if (digit) next = [NumberPhase.Frac, 1];
      break;
    case NumberPhase.Frac:
      if (digit && digits < MAX_FRAC_DIGITS) next = [NumberPhase.Frac, digits + 1];
      else if (exp && exponent) next = [NumberPhase.Exp, 0];
      break;
    case NumberPhase.Exp:
      if (byte === 0x2b || byte === 0x2d) next = [NumberPhase.ExpSign, 0];
      else if (digit) next = [NumberPhase.ExpDigits, 1];
      break;
    case NumberPhase.ExpSign:
      if (digit) next = [NumberPhase.ExpDigits, 1];
      break;
    case NumberPhase.ExpDigits:
      if (digit && digits < MAX_EXP_DIGITS) next = [NumberPhase.ExpDigits, digits + 1];
      break;
  }
  if (!next) return null;
  const text = bounded ? position.text + String.fromCharCode(byte) : '';
  if (bounded && !reachable(node, text)) return null;
  return { phase: next[0], digits: next[1], text };
}

/** The number may end here (a whole number, in range). */
export function numberEndable(node: NumberNode, position: NumberPosition): boolean {
  const { phase } = position;
  if (
    phase !== NumberPhase.Zero &&
    phase !== NumberPhase.Int &&
    phase !== NumberPhase.Frac &&
    phase !== NumberPhase.ExpDigits
  ) {
    return false;
  }
  return !isBounded(node) || inRange(node, Number(position.text));
}

// Bytes an unbounded number still needs, by phase (a digit after '-', '.', 'e' or its sign).
const UNBOUNDED_REST = [1, 1, 0, 0, 1, 0, 1, 1, 0] as const;
const SEARCH_LIMIT = 4000;
const DIGITS = Array.from({ length: 10 }, (_, i) => 0x30 + i);
const ALPHABET = [0x2d, 0x2e, ...DIGITS];

/** Fewest bytes that finish a number from `position` (Infinity: no in-range completion). */
export function numberMinBytes(node: NumberNode, start: NumberPosition = NUMBER_START): number {
  if (!isBounded(node)) return UNBOUNDED_REST[start.phase];
  // Breadth-first over prefixes that can still reach the range: few survive each level.
  let level = [start];
  let explored = 0;
  for (let depth = 0; level.length > 0 && depth <= 40; depth++) {
    if (level.some((p) => numberEndable(node, p))) return depth;
    const next: NumberPosition[] = [];
    for (const p of level) {
      for (const byte of ALPHABET) {
        const q = numberStep(node, p, byte);
        if (q) next.push(q);
      }
      explored += ALPHABET.length;
      if (explored > SEARCH_LIMIT) return Infinity;
    }
    level = next;
  }
  return Infinity;
}

function inRange(node: NumberNode, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (node.exclusiveMinimum ? value <= node.minimum : value < node.minimum) return false;
  if (node.exclusiveMaximum ? value >= node.maximum : value > node.maximum) return false;
  return true;
}

/** Some completion of the number text `text` may lie in the node's range. */
function reachable(node: NumberNode, text: string): boolean {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  // Magnitudes reachable from the prefix, as [low, high) or [low, high] intervals.
  const spans: [number, number, boolean][] = [];
  const dot = body.indexOf('.');
  if (body === '') spans.push([0, 10 ** MAX_INT_DIGITS, false]);
  else if (dot < 0) {
    if (body === '0') spans.push(node.integer ? [0, 0, true] : [0, 1, false]);
    else {
      const head = Number(body);
      for (let extra = 0; body.length + extra <= MAX_INT_DIGITS; extra++) {
        spans.push([head * 10 ** extra, (head + 1) * 10 ** extra, false]);
      }
    }
  } else {
    const fractionDigits = body.length - dot - 1;
    const value = Number(body.endsWith('.') ? body.slice(0, -1) : body);
    if (fractionDigits >= MAX_FRAC_DIGITS) spans.push([value, value, true]);
    else spans.push([value, value + 10 ** -fractionDigits, false]);
  }
  const lowClosed = !node.exclusiveMinimum;
  const highClosed = !node.exclusiveMaximum;
  return spans.some(([low, high, closed]) =>
    negative
      ? overlaps(-high, closed, -low, true, node.minimum, lowClosed, node.maximum, highClosed)
      : overlaps(low, true, high, closed, node.minimum, lowClosed, node.maximum, highClosed),
  );
}

function overlaps(
  low: number,
  lowClosed: boolean,
  high: number,
  highClosed: boolean,
  min: number,
  minClosed: boolean,
  max: number,
  maxClosed: boolean,
): boolean {
  const [from, fromClosed] =
    low > min ? [low, lowClosed] : min > low ? [min, minClosed] : [low, lowClosed && minClosed];
  const [to, toClosed] =
    high < max ? [high, highClosed] : max < high ? [max, maxClosed] : [high, highClosed && maxClosed];
  return from < to || (from === to && fromClosed && toClosed);
}
