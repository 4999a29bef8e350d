import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '@mlkit/core';
import { type ModelFolder, SPECIAL_TOKEN_KEYS } from './folder.ts';
import type { OrtTensor } from './ort.ts';
import type { Session } from './session.ts';

type Json = Record<string, unknown>;

/** A special token's text: configs hold a string or an AddedToken object `{content, ...}`. */
export function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** A tokenizer with the ids and limits the tasks need. */
export interface TextTokenizer {
  readonly tokenizer: Tokenizer;
  /** Id used to pad batches. */
  readonly padId: number;
  /** Ids of special (added, `special: true`) tokens. */
  readonly specialIds: ReadonlySet<number>;
  /**
   * Most tokens per sequence: the `maxLength` option, else tokenizer.json `truncation.max_length`; never
   * more than tokenizer_config.json `model_max_length` or the model's position limit.
   */
  readonly maxLength: number;
  /** Which end a too-long text loses tokens from: tokenizer.json `truncation.direction` (default right). */
  readonly truncationSide: 'left' | 'right';
  /** Token text by special-token name (bos_token, eos_token, ...), for chat templates. */
  readonly specialTokens: Record<string, string>;
  idOf(token: string | undefined): number | undefined;
  /** Ids of `text`, with the model's special tokens unless told otherwise, cut to `maxLength`. */
  encode(text: string, addSpecialTokens?: boolean): number[];
}

/** Build the tokenizer of a folder; the task needs one, so a folder without tokenizer.json is a ModelLoadError. */
export function loadTokenizer(folder: ModelFolder, label: string, maxLengthOption?: number): TextTokenizer {
  if (!folder.tokenizerJson) {
    const why = folder.missing?.['tokenizer.json'];
    throw new ModelLoadError(
      `${label}: this task needs a tokenizer, but the model has no tokenizer.json (expected beside config.json)${why ? ` — ${why}` : ''}`,
    );
  }
  const config: Json = folder.tokenizerConfig ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(folder.tokenizerJson, config);
  } catch (error) {
    throw new ModelLoadError(`${label}: cannot read tokenizer.json (${(error as Error).message})`, {
      cause: error,
    });
  }
  const idOf = (token: string | undefined) =>
    token === undefined ? undefined : tokenizer.token_to_id(token);
  const specialTokens: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const text = tokenText(config[key]);
    if (text !== undefined) specialTokens[key] = text;
  }
  const specialIds = new Set<number>();
  for (const [id, token] of tokenizer.get_added_tokens_decoder()) if (token.special) specialIds.add(id);
  const padding = (folder.tokenizerJson as { padding?: { pad_id?: number } }).padding;
  const padId =
    idOf(specialTokens.pad_token) ??
    padding?.pad_id ??
    idOf(specialTokens.eos_token) ??
    (folder.config?.pad_token_id as number) ??
    0;
  // tokenizer.json's truncation is what `tokenizer(text, truncation=True)` applies in transformers; the
  // library here does not apply it itself. `strategy` only matters for text pairs, which no task encodes.
  const truncation = (folder.tokenizerJson as { truncation?: { max_length?: unknown; direction?: unknown } })
    .truncation;
  const truncationSide = truncation?.direction === 'Left' ? 'left' : 'right';
  const maxLength = Math.min(
    maxLengthOption ?? limit(truncation?.max_length),
    limit(config.model_max_length),
    limit(folder.config?.max_position_embeddings ?? folder.config?.n_positions),
  );
  return {
    tokenizer,
    padId,
    specialIds,
    maxLength,
    truncationSide,
    specialTokens,
    idOf,
    encode(text, addSpecialTokens = true) {
      const ids = tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
      if (ids.length <= maxLength) return ids;
      return truncate(ids, maxLength, truncationSide, addSpecialTokens ? specialIds : undefined);
    },
  };
}

/**
 * Cut `ids` to `maxLength` from `side`, keeping the special tokens the tokenizer put around the text
 * (`[CLS] ... [SEP]`, `<s> ... </s>`): the model was trained to see them.
 */
export function truncate(
  ids: number[],
  maxLength: number,
  side: 'left' | 'right',
  specialIds: ReadonlySet<number> | undefined,
): number[] {
  let head = 0;
  let tail = 0;
  if (specialIds) {
    while (head < ids.length && specialIds.has(ids[head]!)) head++;
    while (tail < ids.length - head && specialIds.has(ids[ids.length - 1 - tail]!)) tail++;
  }
  const keep = maxLength - head - tail;
  if (keep <= 0) return ids.slice(0, maxLength);
  const body =
    side === 'left' ? ids.slice(ids.length - tail - keep, ids.length - tail) : ids.slice(head, head + keep);
  return [...ids.slice(0, head), ...body, ...ids.slice(ids.length - tail)];
}

// tokenizer_config.json says 1e30 for "no limit".
function limit(value: unknown): number {
  return typeof value === 'number' && value > 0 && value < 1e9 ? value : Number.POSITIVE_INFINITY;
}

/** Padded int64 input tensors' data for a batch of id lists (right padding). */
export interface PaddedBatch {
  batch: number;
  length: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** Real tokens per row. */
  lengths: number[];
}

export function padBatch(rows: number[][], padId: number): PaddedBatch {
  let length = 0;
  for (const row of rows) if (row.length > length) length = row.length;
  length = Math.max(length, 1);
  const batch = rows.length;
  const inputIds = new BigInt64Array(batch * length);
  const attentionMask = new BigInt64Array(batch * length);
  const pad = BigInt(padId);
  const lengths: number[] = new Array(batch);
  for (let r = 0; r < batch; r++) {
    const row = rows[r]!;
    const base = r * length;
    for (let i = 0; i < row.length; i++) {
      inputIds[base + i] = BigInt(row[i]!);
      attentionMask[base + i] = 1n;
    }
    if (pad !== 0n) inputIds.fill(pad, base + row.length, base + length);
    lengths[r] = row.length;
  }
  return { batch, length, inputIds, attentionMask, lengths };
}

/** A padded batch as int64 feeds: input_ids, plus attention_mask and (all zero) token_type_ids where the model takes them. */
export function textFeeds(session: Session, padded: PaddedBatch): Record<string, OrtTensor> {
  const { ort, inputs } = session;
  const dims = [padded.batch, padded.length];
  const feeds: Record<string, OrtTensor> = { input_ids: new ort.Tensor('int64', padded.inputIds, dims) };
  if (inputs.has('attention_mask'))
    feeds.attention_mask = new ort.Tensor('int64', padded.attentionMask, dims);
  if (inputs.has('token_type_ids')) {
    feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(padded.inputIds.length), dims);
  }
  return feeds;
}

/**
 * What one more run costs, in padded tokens: a batch is split only where that saves more padding than this.
 * About 50 on tiny-bert (≈120 µs per run, ≈2.3 µs per padded token on one CPU thread); real models have
 * dearer tokens and so a lower break-even, which makes this value err towards fewer, fuller runs.
 */
export const RUN_COST_TOKENS = 64;

/**
 * Rows of a batch grouped into runs of similar length, as indices: short texts padded to a long one cost
 * as much as long ones, so the batch is sorted by length (as sentence-transformers does) and cut where the
 * padding saved outweighs `runCostTokens` per extra run (an exact split by dynamic programming). Texts of
 * one length stay one run.
 */
export function groupByLength(lengths: readonly number[], runCostTokens = RUN_COST_TOKENS): number[][] {
  const n = lengths.length;
  const order = Array.from({ length: n }, (_, i) => i);
  if (n <= 1) return [order];
  order.sort((a, b) => lengths[a]! - lengths[b]!);
  // cost[j]: least cost of the j shortest rows; a group of rows i..j-1 is padded to row j-1's length.
  const cost = new Float64Array(n + 1);
  const start = new Int32Array(n + 1);
  for (let j = 1; j <= n; j++) {
    const width = Math.max(1, lengths[order[j - 1]!]!);
    let least = Number.POSITIVE_INFINITY;
    // Ascending i with a strict comparison: on a tie the larger group (fewer runs) wins.
    for (let i = 0; i < j; i++) {
      const total = cost[i]! + runCostTokens + (j - i) * width;
      if (total < least) {
        least = total;
        start[j] = i;
      }
    }
    cost[j] = least;
  }
  const groups: number[][] = [];
  for (let j = n; j > 0; j = start[j]!) groups.push(order.slice(start[j]!, j));
  return groups.reverse();
}
