/**
 * Finds stop sequences in generated text and says how much of it is safe to stream: text that could
 * still become the start of a stop sequence (a stop split across tokens) is held back until the next
 * token decides it.
 */
export class StopScanner {
  readonly #stops: string[];
  readonly #longest: number;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((s) => s.length > 0);
    this.#longest = this.#stops.reduce((max, s) => Math.max(max, s.length), 0);
  }

  /**
   * Where the earliest stop sequence starts in `text`, looking only at text after `checked`
   * (minus the overlap a stop could span), or -1.
   */
  find(text: string, checked: number): number {
    let at = -1;
    const from = Math.max(0, checked - this.#longest + 1);
    for (const stop of this.#stops) {
      const index = text.indexOf(stop, from);
      if (index >= 0 && (at < 0 || index < at)) at = index;
    }
    return at;
  }

  /** Length of the prefix of `text` that cannot turn into a stop sequence, whatever comes next. */
  safeLength(text: string): number {
    let hold = 0;
    for (const stop of this.#stops) {
      for (let k = Math.min(stop.length - 1, text.length); k > hold; k--) {
        if (text.endsWith(stop.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    return text.length - hold;
  }
}
