/**
 * Timestamp rules of Whisper decoding, as transformers' WhisperTimeStampLogitsProcessor applies them
 * (openai/whisper's ApplyTimestampRules): `generated` is what was decoded after the prompt, `logits` the
 * next token's scores, changed in place.
 * - <|notimestamps|> is never generated; the first token is a timestamp (at most `maxInitialIndex` past 0);
 * - timestamps come in pairs (an end, then the next start), except right before <|endoftext|>;
 * - they never go back, and a segment's start is not repeated;
 * - where the timestamps together are likelier than the best text token, a timestamp is taken.
 */
export function applyTimestampRules(
  logits: Float32Array,
  generated: readonly number[],
  rules: {
    timestampBegin: number;
    noTimestampsId: number;
    eosId: number;
    maxInitialIndex: number | undefined;
  },
): void {
  const { timestampBegin, noTimestampsId, eosId, maxInitialIndex } = rules;
  logits[noTimestampsId] = Number.NEGATIVE_INFINITY;
  const length = generated.length;
  const lastWasTimestamp = length >= 1 && generated[length - 1]! >= timestampBegin;
  const penultimateWasTimestamp = length < 2 || generated[length - 2]! >= timestampBegin;
  if (lastWasTimestamp) {
    if (penultimateWasTimestamp) logits.fill(Number.NEGATIVE_INFINITY, timestampBegin);
    else logits.fill(Number.NEGATIVE_INFINITY, 0, eosId);
  }
  let lastTimestamp: number | undefined;
  for (let i = length - 1; i >= 0; i--) {
    if (generated[i]! >= timestampBegin) {
      lastTimestamp = generated[i]!;
      break;
    }
  }
  if (lastTimestamp !== undefined) {
    // An end may equal its start; a new start may not repeat the last end.
    const floor = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1;
    logits.fill(Number.NEGATIVE_INFINITY, timestampBegin, floor);
  }
  if (length === 0) {
    logits.fill(Number.NEGATIVE_INFINITY, 0, timestampBegin);
    if (maxInitialIndex !== undefined)
      logits.fill(Number.NEGATIVE_INFINITY, timestampBegin + maxInitialIndex + 1);
  }
  // log-softmax comparison: logsumexp(timestamps) > max(text) in logits, the normaliser cancels.
  let maxText = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < timestampBegin && i < logits.length; i++)
    if (logits[i]! > maxText) maxText = logits[i]!;
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  for (let i = timestampBegin; i < logits.length; i++)
    if (logits[i]! > maxTimestamp) maxTimestamp = logits[i]!;
  if (maxTimestamp === Number.NEGATIVE_INFINITY) return;
  let sum = 0;
  for (let i = timestampBegin; i < logits.length; i++) sum += Math.exp(logits[i]! - maxTimestamp);
  const timestampLogSum = maxTimestamp + Math.log(sum);
  if (timestampLogSum > maxText) logits.fill(Number.NEGATIVE_INFINITY, 0, timestampBegin);
}

/** A timed piece of one window's tokens: text token ids between a start and an end timestamp. */
export interface TimedTokens {
  start: number;
  end: number;
  ids: number[];
}

/**
 * Split a window's generated ids (after the prompt, without <|endoftext|>) into timed pieces, as
 * transformers' `_decode_asr` reads timestamp tokens: each timestamp is `(id - timestampBegin) *
 * timePrecision` seconds; text between a start and the next timestamp is one piece. Text after the
 * last timestamp (a window cut mid-sentence) ends at `windowSeconds`.
 */
export function timedPieces(
  ids: readonly number[],
  timestampBegin: number,
  timePrecision: number,
  windowSeconds: number,
): TimedTokens[] {
  const pieces: TimedTokens[] = [];
  let start: number | undefined;
  let text: number[] = [];
  for (const id of ids) {
    if (id < timestampBegin) {
      text.push(id);
      continue;
    }
    const time = round2((id - timestampBegin) * timePrecision);
    if (start === undefined) {
      start = time;
    } else {
      if (text.length > 0) pieces.push({ start, end: time, ids: text });
      text = [];
      start = time;
    }
  }
  if (text.length > 0) pieces.push({ start: start ?? 0, end: round2(windowSeconds), ids: text });
  return pieces;
}

function round2(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
