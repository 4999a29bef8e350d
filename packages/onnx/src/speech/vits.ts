import { InvalidInputError, ModelLoadError } from '@mlkit/core';
import type { ModelFolder } from '../folder.ts';
import { tokenText } from '../tokenizer.ts';

type Json = Record<string, unknown>;

/** Text to a VITS model's `input_ids`, as transformers' VitsTokenizer (MMS-TTS) makes them. */
export type VitsEncode = (text: string) => number[];

/**
 * A VitsTokenizer from `vocab.json` (character -> id) and tokenizer_config.json, as transformers
 * tokenizes: with `normalize`, characters outside the vocabulary are lowercased (whole vocabulary
 * entries are kept as written) and then dropped if still unknown, and the text is trimmed; each
 * character is one token; with `add_blank`, id 0 goes between characters and at both ends.
 * Phonemizing (`phonemize`, espeak) and romanizing (`is_uroman`) have no JavaScript equivalent and
 * are refused at load.
 */
export function vitsTokenizer(folder: ModelFolder, label: string): VitsEncode {
  const config: Json = folder.tokenizerConfig ?? {};
  const vocab =
    (folder.json?.['vocab.json'] as Json | undefined) ??
    ((folder.tokenizerJson?.model as { vocab?: Json } | undefined)?.vocab as Json | undefined);
  if (!vocab) {
    throw new ModelLoadError(
      `${label}: a VITS model needs its character vocabulary, vocab.json (VitsTokenizer), beside config.json`,
    );
  }
  if (config.phonemize === true) {
    throw new ModelLoadError(
      `${label}: its tokenizer phonemizes text with espeak (phonemize: true), which has no JavaScript port here; use a character-level (MMS-TTS) VITS model`,
    );
  }
  const ids = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab)) if (typeof id === 'number') ids.set(token, id);
  const added = config.added_tokens_decoder as Record<string, { content?: string }> | undefined;
  const vocabulary = [...ids.keys()];
  for (const token of Object.values(added ?? {})) {
    if (typeof token?.content === 'string' && !ids.has(token.content)) vocabulary.push(token.content);
  }
  const normalize = config.normalize !== false;
  const addBlank = config.add_blank !== false;
  const unknownId = ids.get(tokenText(config.unk_token) ?? '<unk>');

  /** transformers' normalize_text: vocabulary entries as written, anything else lowercased. */
  const lowercase = (text: string) => {
    let out = '';
    let i = 0;
    while (i < text.length) {
      const word = vocabulary.find((entry) => entry.length > 0 && text.startsWith(entry, i));
      if (word) {
        out += word;
        i += word.length;
      } else {
        out += text[i]!.toLowerCase();
        i++;
      }
    }
    return out;
  };

  return (text) => {
    let chars = [...(normalize ? lowercase(text) : text)];
    if (normalize)
      chars = [
        ...chars
          .filter((char) => ids.has(char))
          .join('')
          .trim(),
      ];
    if (chars.length === 0) {
      const message = `input.text: ${label} reads none of its characters (its vocabulary is ${vocabulary.filter((t) => t.length === 1).join('')}); pass text in the model's alphabet`;
      throw new InvalidInputError(`Invalid input — ${message}`, {
        issues: [{ path: 'input.text', message }],
      });
    }
    const tokens = chars.map((char) => ids.get(char) ?? unknownId ?? 0);
    if (!addBlank) return tokens;
    const interspersed = new Array<number>(tokens.length * 2 + 1).fill(0);
    tokens.forEach((id, index) => {
      interspersed[2 * index + 1] = id;
    });
    return interspersed;
  };
}
