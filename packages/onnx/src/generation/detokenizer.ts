/**
 * Incremental detokenisation that never splits a character: the text of the newest tokens is
 * decoded within a short window of earlier tokens (so spacing rules see their context), and a window
 * whose text ends in U+FFFD — an incomplete UTF-8 sequence of byte-level tokens — waits for more tokens.
 * The technique of text-generation-inference's `decode_token` (prefix and read offsets).
 */
export class IncrementalDecoder {
  readonly #decode: (ids: number[]) => string;
  readonly #ids: number[] = [];
  #prefixOffset = 0;
  #readOffset = 0;

  constructor(decode: (ids: number[]) => string) {
    this.#decode = decode;
  }

  /** Add a token; returns the text it completes ('' while a character is still incomplete). */
  push(id: number): string {
    this.#ids.push(id);
    const prefix = this.#decode(this.#ids.slice(this.#prefixOffset, this.#readOffset));
    const full = this.#decode(this.#ids.slice(this.#prefixOffset));
    if (full.length > prefix.length && !full.endsWith('\uFFFD')) {
      this.#prefixOffset = this.#readOffset;
      this.#readOffset = this.#ids.length;
      return full.startsWith(prefix) ? full.slice(prefix.length) : full.slice(commonPrefix(prefix, full));
    }
    return '';
  }

  /** Text still held back at the end of generation (an incomplete character decodes as U+FFFD). */
  flush(): string {
    if (this.#readOffset === this.#ids.length) return '';
    const prefix = this.#decode(this.#ids.slice(this.#prefixOffset, this.#readOffset));
    const full = this.#decode(this.#ids.slice(this.#prefixOffset));
    this.#prefixOffset = this.#readOffset = this.#ids.length;
    return full.slice(commonPrefix(prefix, full));
  }
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * `decode` that remembers the text of single tokens (at most `capacity` of them; a decode is pure). The
 * incremental decoder's window before the newest token is one token at most steps, so a step then decodes
 * one window instead of two.
 */
export function rememberingSingleTokens(
  decode: (ids: number[]) => string,
  capacity = 16_384,
): (ids: number[]) => string {
  const singles = new Map<number, string>();
  return (ids) => {
    if (ids.length !== 1) return decode(ids);
    let text = singles.get(ids[0]!);
    if (text === undefined) {
      text = decode(ids);
      if (singles.size < capacity) singles.set(ids[0]!, text);
    }
    return text;
  };
}
