/**
 * Constrained decoding for @mlkit/onnx: token masks that keep generated text inside a grammar (a JSON
 * document matching a JSON Schema, fixed texts, sequences and choices of them), byte-exact over the
 * tokenizer's vocabulary and within the token budget.
 *
 * @example
 * const vocabulary = vocabularyOf(tokenizerJson, { eosIds: [eosId], vocabSize: logitsWidth });
 * const matcher = new GrammarMatcher(compileGrammar({ type: 'json', schema }, vocabulary));
 * // each step: applyMask(logits, matcher.allowed(maxTokens - generated)); pick token; matcher.accept(token);
 * // stop when matcher.finished (or on EOS).
 */
import { LRUCache } from 'lru-cache';
import { Automaton } from './automaton.ts';
import { type Grammar, grammarNode } from './grammar.ts';
import { CompiledGrammar } from './matcher.ts';
import type { TokenVocabulary } from './vocabulary.ts';

export type { Grammar } from './grammar.ts';
export { UnsupportedSchemaError } from './json-schema.ts';
export { applyMask, CompiledGrammar, GrammarMatcher } from './matcher.ts';
export { type TokenVocabulary, vocabularyOf } from './vocabulary.ts';

/** Options of {@link compileGrammar}. */
export interface CompileGrammarOptions {
  /** Most whitespace characters between two JSON tokens (and before the document). Default 2. */
  maxWhitespace?: number;
}

/** Compiled grammars kept per vocabulary (so per loaded model): each request may bring a new schema. */
const MAX_COMPILED_PER_VOCABULARY = 64;
const compiled = new WeakMap<TokenVocabulary, LRUCache<string, CompiledGrammar>>();

/**
 * Compile a grammar against a vocabulary; cached per (vocabulary, grammar, options), so requests with
 * the same schema share masks (the 64 most recently used per vocabulary, so distinct schemas sent by
 * clients cannot grow memory without bound). Throws UnsupportedSchemaError (with `keyword` and `path`) for JSON Schema
 * keywords decoding cannot enforce.
 */
/** How many compiled grammars a vocabulary keeps (for tests). */
export function compiledGrammarCount(vocabulary: TokenVocabulary): number {
  return compiled.get(vocabulary)?.size ?? 0;
}

export function compileGrammar(
  grammar: Grammar,
  vocabulary: TokenVocabulary,
  options: CompileGrammarOptions = {},
): CompiledGrammar {
  const maxWhitespace = options.maxWhitespace ?? 2;
  let cache = compiled.get(vocabulary);
  if (!cache) {
    cache = new LRUCache({ max: MAX_COMPILED_PER_VOCABULARY });
    compiled.set(vocabulary, cache);
  }
  const key = JSON.stringify([maxWhitespace, grammar]);
  let out = cache.get(key);
  if (!out) {
    out = new CompiledGrammar(new Automaton(grammarNode(grammar), maxWhitespace), vocabulary);
    cache.set(key, out);
  }
  return out;
}
