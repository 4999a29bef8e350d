/**
 * Token masks from the byte automaton. A grammar state is the set of automaton configurations the text
 * so far can be in; states are interned, their byte transitions memoised, and each state's mask
 * (one walk of the token trie) cached, so a step that revisits a state (inside a long string, say)
 * costs a copy of the mask.
 */
import type { Automaton, Config } from './automaton.ts';
import type { TokenTrie } from './trie.ts';
import type { TokenVocabulary } from './vocabulary.ts';

/** Interned states past which the caches start afresh (bounds memory on long, varied generations). */
const MAX_STATES = 50_000;

/** A set of configurations: where the text so far may stand in the grammar. */
export class GrammarState {
  readonly configs: readonly Config[];
  /** State after each byte: undefined until computed, null when the byte does not fit. */
  readonly next: (GrammarState | null | undefined)[] = new Array(256);
  /** Fewest bytes that complete the document. */
  readonly cost: number;
  readonly complete: boolean;
  /** Inside a literal part of the grammar: added tokens may be used. */
  readonly literal: boolean;
  mask: Uint32Array | undefined;
  /** Highest `cost` of a state a permitted token leads to. */
  maskMaxCost = 0;
  /** No byte may follow. */
  deadEnd: boolean | undefined;

  constructor(configs: readonly Config[], automaton: Automaton) {
    this.configs = configs;
    let cost = Number.POSITIVE_INFINITY;
    let complete = false;
    let literal = configs.length > 0;
    for (const config of configs) {
      if (config.cost < cost) cost = config.cost;
      if (!complete && automaton.isComplete(config)) complete = true;
      if (!automaton.inGrammarLiteral(config)) literal = false;
    }
    this.cost = cost;
    this.complete = complete;
    this.literal = literal;
  }
}

/** A grammar compiled against one vocabulary; shared by every matcher (and batch row) that follows it. */
export class CompiledGrammar {
  readonly vocabulary: TokenVocabulary;
  readonly #automaton: Automaton;
  readonly #states = new Map<string, GrammarState>();
  #initial: GrammarState;

  constructor(automaton: Automaton, vocabulary: TokenVocabulary) {
    this.#automaton = automaton;
    this.vocabulary = vocabulary;
    const initial = this.#intern(automaton.initial());
    if (!initial) throw new Error('constrained decoding: the grammar allows no text at all');
    this.#initial = initial;
  }

  /** The state before any token. */
  get initial(): GrammarState {
    return this.#initial;
  }

  /** The state after `byte`, or null when the byte does not fit. */
  next(state: GrammarState, byte: number): GrammarState | null {
    const known = state.next[byte];
    if (known !== undefined) return known;
    const out: Config[] = [];
    for (const config of state.configs) this.#automaton.step(config, byte, out);
    const next = this.#intern(out);
    state.next[byte] = next;
    return next;
  }

  /** The state after all of `bytes`, or null. */
  walk(state: GrammarState, bytes: Uint8Array): GrammarState | null {
    let s: GrammarState | null = state;
    for (let i = 0; i < bytes.length && s; i++) s = this.next(s, bytes[i]!);
    return s;
  }

  /** No byte may follow `state`. */
  deadEnd(state: GrammarState): boolean {
    if (state.deadEnd === undefined) {
      let dead = true;
      for (let byte = 0; byte < 256 && dead; byte++) if (this.next(state, byte)) dead = false;
      state.deadEnd = dead;
    }
    return state.deadEnd;
  }

  /** The tokens (EOS aside) that keep the text inside the grammar, ignoring the budget; cached per state. */
  maskOf(state: GrammarState): Uint32Array {
    if (state.mask) return state.mask;
    const words = (this.vocabulary.size + 31) >>> 5;
    const mask = new Uint32Array(words);
    let maxCost = 0;
    maxCost = Math.max(maxCost, this.#walkTrie(this.vocabulary.trie, state, mask));
    if (state.literal) maxCost = Math.max(maxCost, this.#walkTrie(this.vocabulary.addedTrie, state, mask));
    state.mask = mask;
    state.maskMaxCost = maxCost;
    return mask;
  }

  #walkTrie(trie: TokenTrie, state: GrammarState, mask: Uint32Array): number {
    const { edgeStart, edgeByte, edgeChild, tokenStart, tokenIds } = trie;
    let maxCost = 0;
    const nodes: number[] = [0];
    const states: GrammarState[] = [state];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const from = states.pop()!;
      const end = edgeStart[node + 1]!;
      for (let e = edgeStart[node]!; e < end; e++) {
        const byte = edgeByte[e]!;
        let to = from.next[byte];
        if (to === undefined) to = this.next(from, byte);
        if (!to) continue;
        const child = edgeChild[e]!;
        const t1 = tokenStart[child + 1]!;
        let t = tokenStart[child]!;
        if (t < t1) {
          if (to.cost > maxCost) maxCost = to.cost;
          for (; t < t1; t++) {
            const id = tokenIds[t]!;
            mask[id >>> 5]! |= 1 << (id & 31);
          }
        }
        if (edgeStart[child]! < edgeStart[child + 1]!) {
          nodes.push(child);
          states.push(to);
        }
      }
    }
    return maxCost;
  }

  #intern(configs: Config[]): GrammarState | null {
    if (configs.length === 0) return null;
    let unique = configs;
    if (configs.length > 1) {
      const seen = new Map<number, Config>();
      for (const config of configs) seen.set(config.id, config);
      unique = [...seen.values()].sort((a, b) => a.id - b.id);
    }
    const key = unique.length === 1 ? String(unique[0]!.id) : unique.map((c) => c.id).join(',');
    let state = this.#states.get(key);
    if (!state) {
      if (this.#states.size >= MAX_STATES) {
        this.#states.clear();
        this.#automaton.clear();
      }
      state = new GrammarState(unique, this.#automaton);
      this.#states.set(key, state);
    }
    return state;
  }
}

/**
 * Follows one generation through a compiled grammar: which tokens may come next, and whether the
 * document is complete. One per sequence (batch row).
 */
export class GrammarMatcher {
  readonly #compiled: CompiledGrammar;
  #state: GrammarState;
  #ended = false;

  constructor(compiled: CompiledGrammar) {
    this.#compiled = compiled;
    this.#state = compiled.initial;
  }

  /**
   * Bitmask (bit `id & 31` of word `id >> 5` set = allowed) over the vocabulary for the next token, given
   * how many tokens may still be generated (this one included). Only tokens after which the document can
   * still complete within the rest of the budget are allowed; EOS ids only when the document is complete.
   * A fresh array the caller may keep or change.
   */
  allowed(remainingTokens: number): Uint32Array {
    if (this.#ended)
      throw new Error('constrained decoding: the document has ended (EOS accepted); nothing may follow');
    const compiled = this.#compiled;
    const state = this.#state;
    const mask = compiled.maskOf(state);
    const budget = remainingTokens - 1;
    let out: Uint32Array;
    if (state.maskMaxCost <= budget) out = mask.slice();
    else out = this.#withinBudget(mask, budget);
    if (state.complete)
      for (const id of compiled.vocabulary.eosIds)
        if (id < compiled.vocabulary.size) out[id >>> 5]! |= 1 << (id & 31);
    return out;
  }

  /** Tokens of `mask` after which at most `budget` bytes finish the document; if none, those that come closest. */
  #withinBudget(mask: Uint32Array, budget: number): Uint32Array {
    const compiled = this.#compiled;
    const vocabulary = compiled.vocabulary;
    const out = new Uint32Array(mask.length);
    const costs = new Map<number, number>();
    let least = Number.POSITIVE_INFINITY;
    let any = false;
    for (let w = 0; w < mask.length; w++) {
      let bits = mask[w]!;
      while (bits !== 0) {
        const low = bits & -bits;
        const id = (w << 5) + 31 - Math.clz32(low);
        bits ^= low;
        const after = compiled.walk(this.#state, vocabulary.bytesOf(id)!);
        const cost = after ? after.cost : Number.POSITIVE_INFINITY;
        if (cost <= budget) {
          out[w]! |= low;
          any = true;
        } else if (!any && !this.#state.complete) {
          costs.set(id, cost);
          if (cost < least) least = cost;
        }
      }
    }
    // Too few tokens left to finish: at least move towards the end (the caller's budget was too small).
    if (!any && !this.#state.complete)
      for (const [id, cost] of costs) if (cost === least) out[id >>> 5]! |= 1 << (id & 31);
    return out;
  }

  /** Advance by a token that `allowed` permitted (throws an Error naming the token otherwise). EOS ends the document. */
  accept(token: number): void {
    if (this.#ended) throw new Error(`constrained decoding: token ${token} after the end of the document`);
    const compiled = this.#compiled;
    const vocabulary = compiled.vocabulary;
    if (vocabulary.eosIds.has(token)) {
      if (!this.#state.complete)
        throw new Error(`constrained decoding: EOS token ${token} before the document is complete`);
      this.#ended = true;
      return;
    }
    const bytes = vocabulary.bytesOf(token);
    const next =
      bytes && (!vocabulary.isAdded(token) || this.#state.literal) ? compiled.walk(this.#state, bytes) : null;
    if (!next) {
      const text = bytes ? JSON.stringify(new TextDecoder().decode(bytes)) : '(special token)';
      throw new Error(`constrained decoding: token ${token} ${text} does not fit the grammar here`);
    }
    this.#state = next;
  }

  /** The text so far forms a complete document (EOS may follow). */
  get complete(): boolean {
    return this.#ended || this.#state.complete;
  }

  /** Complete and nothing else may follow: generation ends without waiting for EOS. */
  get finished(): boolean {
    return this.#ended || (this.#state.complete && this.#compiled.deadEnd(this.#state));
  }

  /** Fewest tokens that complete the document from here (bytes; equal to tokens when every byte is a token). */
  get minTokensToComplete(): number {
    return this.#ended ? 0 : this.#state.cost;
  }
}

/** Set the logits of tokens the mask disallows to -Infinity, in place (ids past the mask too). */
export function applyMask(logits: Float32Array, mask: Uint32Array): void {
  const n = logits.length;
  for (let w = 0; w < mask.length; w++) {
    const bits = mask[w]!;
    if (bits === 0xffffffff) continue;
    const base = w << 5;
    const end = Math.min(base + 32, n);
    for (let i = base; i < end; i++)
      if (((bits >>> (i - base)) & 1) === 0) logits[i] = Number.NEGATIVE_INFINITY;
  }
  if (n > mask.length << 5) logits.fill(Number.NEGATIVE_INFINITY, mask.length << 5);
}
