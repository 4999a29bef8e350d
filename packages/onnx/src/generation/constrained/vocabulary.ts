/**
 * The bytes each token stands for, read from tokenizer.json the way its decoder turns tokens into text
 * (@huggingface/tokenizers `src/core/decoder/*`): ByteLevel maps GPT-2's byte-to-unicode characters
 * back to bytes (GPT-2, Llama 3, Qwen); Metaspace and Replace turn `▁` into a space and ByteFallback
 * reads `<0xAB>` tokens as one byte (Llama 2, Mistral); without a decoder a token is its UTF-8 text.
 * Special tokens stand for no bytes: they never appear inside a document (EOS ids end it).
 */
import { utf8 } from './byte-trie.ts';
import { type TokenTrie, tokenTrie } from './trie.ts';

/** The vocabulary as constrained decoding sees it: bytes per token id, tries over them, and the EOS ids. */
export interface TokenVocabulary {
  /** Number of ids (the model's logits width). */
  readonly size: number;
  readonly eosIds: ReadonlySet<number>;
  /** Bytes of a token; undefined for special tokens, EOS and ids the tokenizer does not know. */
  bytesOf(id: number): Uint8Array | undefined;
  /** Non-special added tokens (`<tool_call>` in Qwen): used only in literal parts of a grammar. */
  isAdded(id: number): boolean;
  /** Trie of the ordinary tokens. */
  readonly trie: TokenTrie;
  /** Trie of the non-special added tokens. */
  readonly addedTrie: TokenTrie;
  /**
   * Every byte is a token of its own (true for byte-level and byte-fallback vocabularies), so the fewest
   * bytes that finish a document are also the fewest tokens: what the token budget relies on.
   */
  readonly everyByteIsAToken: boolean;
}

type Json = Record<string, unknown>;

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map to U+0100 upwards.
const UNICODE_TO_BYTE = (() => {
  const map = new Map<number, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    map.set(printable ? b : 256 + shifted++, b);
  }
  return map;
})();

interface Decoding {
  byteLevel: boolean;
  byteFallback: boolean;
  replacements: { pattern: string | RegExp; content: string }[];
}

function decodingOf(json: Json): Decoding {
  const model = (json.model ?? {}) as Json;
  const decoding: Decoding = {
    byteLevel: false,
    byteFallback: model.byte_fallback === true,
    replacements: [],
  };
  const visit = (decoder: unknown): void => {
    if (!decoder || typeof decoder !== 'object') return;
    const d = decoder as Json;
    switch (d.type) {
      case 'Sequence':
        for (const inner of (d.decoders as unknown[]) ?? []) visit(inner);
        return;
      case 'ByteLevel':
        decoding.byteLevel = true;
        return;
      case 'ByteFallback':
        decoding.byteFallback = true;
        return;
      case 'Metaspace':
        decoding.replacements.push({
          pattern: typeof d.replacement === 'string' ? d.replacement : '\u2581',
          content: ' ',
        });
        return;
      case 'Replace': {
        const pattern = d.pattern as { String?: string; Regex?: string } | undefined;
        const content = typeof d.content === 'string' ? d.content : '';
        if (typeof pattern?.String === 'string')
          decoding.replacements.push({ pattern: pattern.String, content });
        else if (typeof pattern?.Regex === 'string')
          decoding.replacements.push({ pattern: new RegExp(pattern.Regex, 'gu'), content });
        return;
      }
      // Fuse joins tokens and Strip trims the start of the whole text: neither changes a token's bytes.
      case 'Fuse':
      case 'Strip':
        return;
      default:
        throw new Error(
          `constrained decoding cannot read tokens through the tokenizer.json decoder "${String(d.type)}" (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip)`,
        );
    }
  };
  if (json.decoder) visit(json.decoder);
  else if ((json.pre_tokenizer as Json | null)?.type === 'ByteLevel') decoding.byteLevel = true;
  return decoding;
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

function tokenBytes(token: string, decoding: Decoding): Uint8Array | undefined {
  if (decoding.byteFallback) {
    const match = BYTE_TOKEN.exec(token);
    if (match) return Uint8Array.of(Number.parseInt(match[1]!, 16));
  }
  let text = token;
  for (const { pattern, content } of decoding.replacements) text = text.replaceAll(pattern, content);
  if (!decoding.byteLevel) return utf8(text);
  const bytes = new Uint8Array(text.length);
  let i = 0;
  for (const char of text) {
    const byte = UNICODE_TO_BYTE.get(char.codePointAt(0)!);
    if (byte === undefined) return undefined;
    bytes[i++] = byte;
  }
  return bytes.subarray(0, i);
}

/** Token id -> token text from tokenizer.json's model (BPE/WordLevel/WordPiece: an object; Unigram: [piece, score] pairs). */
function vocabEntries(model: Json): [string, number][] {
  const vocab = model.vocab;
  if (Array.isArray(vocab)) return vocab.map((entry, id) => [String((entry as unknown[])[0]), id]);
  if (vocab && typeof vocab === 'object') return Object.entries(vocab as Record<string, number>);
  throw new Error('constrained decoding: tokenizer.json has no model.vocab');
}

/**
 * The vocabulary of a tokenizer.json object for constrained decoding.
 * `vocabSize` is the logits width (ids past the tokenizer's are never allowed); `eosIds` end a document.
 */
export function vocabularyOf(
  tokenizerJson: unknown,
  options: { eosIds: Iterable<number>; vocabSize: number },
): TokenVocabulary {
  const json = (tokenizerJson ?? {}) as Json;
  const decoding = decodingOf(json);
  const size = options.vocabSize;
  const eosIds = new Set(options.eosIds);
  const bytes: (Uint8Array | undefined)[] = new Array(size);
  const added = new Set<number>();
  for (const [token, id] of vocabEntries((json.model ?? {}) as Json)) {
    if (Number.isInteger(id) && id >= 0 && id < size) bytes[id] = tokenBytes(token, decoding);
  }
  for (const token of (json.added_tokens as Json[] | undefined) ?? []) {
    const id = token.id as number;
    if (!Number.isInteger(id) || id < 0 || id >= size) continue;
    bytes[id] = undefined;
    if (token.special !== true && typeof token.content === 'string' && token.content !== '') {
      bytes[id] = utf8(token.content);
      added.add(id);
    }
  }
  for (const id of eosIds) if (id >= 0 && id < size) bytes[id] = undefined;
  const ordinary: { id: number; bytes: Uint8Array }[] = [];
  const extra: { id: number; bytes: Uint8Array }[] = [];
  const single = new Set<number>();
  for (let id = 0; id < size; id++) {
    const b = bytes[id];
    if (!b || b.length === 0) {
      bytes[id] = undefined;
      continue;
    }
    if (added.has(id)) extra.push({ id, bytes: b });
    else {
      ordinary.push({ id, bytes: b });
      if (b.length === 1) single.add(b[0]!);
    }
  }
  return {
    size,
    eosIds,
    bytesOf: (id) => bytes[id],
    isAdded: (id) => added.has(id),
    trie: tokenTrie(ordinary),
    addedTrie: tokenTrie(extra),
    everyByteIsAToken: single.size === 256,
  };
}
