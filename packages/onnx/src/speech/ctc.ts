import { ModelLoadError } from '@mlkit/core';
import type { ModelFolder } from '../folder.ts';
import { tokenText } from '../tokenizer.ts';

type Json = Record<string, unknown>;

/** A CTC model's output alphabet: token text by id, the blank and the word delimiter. */
export interface CtcVocabulary {
  /** Token text by id. */
  tokens: string[];
  /** The CTC blank: the tokenizer's pad token. */
  blankId: number | undefined;
  /** The token written as a space ("|" in wav2vec2 vocabularies). */
  wordDelimiter: string;
  /** Special tokens (bos, eos, unk, ...) that decoding leaves out, as `skip_special_tokens` does. */
  specialIds: ReadonlySet<number>;
}

/**
 * The vocabulary of a Wav2Vec2CTCTokenizer folder: `vocab.json` (token -> id; a multilingual one nests
 * a vocabulary per language, of which the tokenizer's `target_lang` is used), else tokenizer.json's
 * `model.vocab`; the pad, word delimiter and special tokens from tokenizer_config.json.
 */
export function ctcVocabulary(folder: ModelFolder, label: string): CtcVocabulary {
  const config: Json = folder.tokenizerConfig ?? {};
  let vocab = folder.json?.['vocab.json'] as Json | undefined;
  if (vocab && typeof config.target_lang === 'string' && typeof vocab[config.target_lang] === 'object') {
    vocab = vocab[config.target_lang] as Json;
  }
  vocab ??= (folder.tokenizerJson?.model as { vocab?: Json } | undefined)?.vocab;
  if (!vocab || typeof vocab !== 'object') {
    throw new ModelLoadError(
      `${label}: a CTC speech model needs its vocabulary: vocab.json (Wav2Vec2CTCTokenizer) or tokenizer.json, beside config.json`,
    );
  }
  const tokens: string[] = [];
  const byText = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab)) {
    if (typeof id !== 'number') continue;
    tokens[id] = token;
    byText.set(token, id);
  }
  const added = config.added_tokens_decoder as Record<string, { content?: string }> | undefined;
  for (const [id, token] of Object.entries(added ?? {})) {
    if (typeof token?.content !== 'string') continue;
    tokens[Number(id)] ??= token.content;
    byText.set(token.content, Number(id));
  }
  const idOf = (key: string) => {
    const text = tokenText(config[key]);
    return text === undefined ? undefined : byText.get(text);
  };
  const blankId = idOf('pad_token') ?? byText.get('<pad>');
  const specialIds = new Set<number>();
  for (const key of ['bos_token', 'eos_token', 'unk_token']) {
    const id = idOf(key);
    if (id !== undefined && id !== blankId) specialIds.add(id);
  }
  return {
    tokens,
    blankId,
    wordDelimiter: tokenText(config.word_delimiter_token) ?? '|',
    specialIds,
  };
}

/** The best id of each frame of `[frames, classes]` logits (row-major). */
export function argmaxFrames(logits: Float32Array, frames: number, classes: number): number[] {
  const ids = new Array<number>(frames);
  for (let t = 0; t < frames; t++) {
    const base = t * classes;
    let best = 0;
    let bestValue = logits[base]!;
    for (let c = 1; c < classes; c++) {
      const value = logits[base + c]!;
      if (value > bestValue) {
        bestValue = value;
        best = c;
      }
    }
    ids[t] = best;
  }
  return ids;
}

/**
 * Greedy CTC decoding as Wav2Vec2CTCTokenizer.decode(ids, skip_special_tokens=True) does it: special
 * tokens other than the blank are dropped, repeats collapse, the blank goes, the word delimiter becomes a
 * space, and the text is trimmed.
 */
export function ctcDecode(ids: readonly number[], vocabulary: CtcVocabulary): string {
  const { tokens, blankId, wordDelimiter, specialIds } = vocabulary;
  let text = '';
  let previous: number | undefined;
  for (const id of ids) {
    if (specialIds.has(id)) continue;
    if (id === previous) continue;
    previous = id;
    if (id === blankId) continue;
    const token = tokens[id] ?? '';
    text += token === wordDelimiter ? ' ' : token;
  }
  return text.trim();
}
