// The decoding pieces of speech-to-text on hand-made inputs: greedy CTC collapse, Whisper's timestamp rules
// and timestamp tokens -> timed pieces, and the decoder prompt.
import { describe, expect, it } from 'vitest';
import { argmaxFrames, type CtcVocabulary, ctcDecode, ctcVocabulary } from '../src/speech/ctc.ts';
import { whisperGenerationSettings, whisperPrompt } from '../src/speech/whisper-prompt.ts';
import { applyTimestampRules, timedPieces } from '../src/speech/whisper-timestamps.ts';

const vocabulary: CtcVocabulary = {
  tokens: ['<pad>', '<s>', '</s>', '<unk>', '|', 'a', 'b', 'l'],
  blankId: 0,
  wordDelimiter: '|',
  specialIds: new Set([1, 2, 3]),
};

describe('greedy CTC decoding', () => {
  it('collapses repeats, drops blanks, and writes the word delimiter as a space', () => {
    // "a a b | b l l a" with blanks between the repeated letters that must stay doubled.
    expect(ctcDecode([5, 5, 0, 5, 6, 6, 4, 4, 6, 7, 0, 7, 5], vocabulary)).toBe('aab blla');
  });

  it('leaves out special tokens other than the blank, and trims', () => {
    expect(ctcDecode([4, 1, 5, 3, 5, 2, 4, 4], vocabulary)).toBe('a');
  });

  it('takes the best class of each frame, the first on ties', () => {
    expect(argmaxFrames(Float32Array.of(0, 2, 1, 5, 5, 0), 2, 3)).toEqual([1, 0]);
  });

  it('reads vocab.json with the pad and word delimiter of tokenizer_config.json', () => {
    const read = ctcVocabulary(
      {
        json: { 'vocab.json': { '[PAD]': 0, '[UNK]': 1, '/': 2, x: 3 } },
        tokenizerConfig: { pad_token: '[PAD]', unk_token: '[UNK]', word_delimiter_token: '/' },
      },
      'test',
    );
    expect(read.blankId).toBe(0);
    expect(ctcDecode([3, 0, 3, 2, 1, 3], read)).toBe('xx x');
  });
});

// A vocabulary laid out as Whisper's: text below eos 10, then specials, <|notimestamps|> 20, timestamps from 21.
const rules = { timestampBegin: 21, noTimestampsId: 20, eosId: 10, maxInitialIndex: 2 };
const scores = (entries: Record<number, number>) => {
  const logits = new Float32Array(30).fill(-5);
  for (const [id, value] of Object.entries(entries)) logits[Number(id)] = value;
  return logits;
};
const allowed = (logits: Float32Array) =>
  [...logits.keys()].filter((id) => logits[id] !== Number.NEGATIVE_INFINITY);

describe('Whisper timestamp rules', () => {
  it('starts with a timestamp no later than max_initial_timestamp_index', () => {
    const logits = scores({ 3: 9 });
    applyTimestampRules(logits, [], rules);
    expect(allowed(logits)).toEqual([21, 22, 23]);
  });

  it('after one timestamp (a segment end), allows only timestamps not earlier, or eos', () => {
    const logits = scores({ 10: 3 });
    applyTimestampRules(logits, [21, 3, 4, 24], rules);
    expect(allowed(logits).filter((id) => id < 21)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(allowed(logits).filter((id) => id >= 21)[0]).toBe(24);
  });

  it('after a pair of timestamps, allows no timestamp', () => {
    const logits = scores({ 25: 9 });
    applyTimestampRules(logits, [21, 3, 24, 24], rules);
    expect(allowed(logits).some((id) => id >= 21)).toBe(false);
  });

  it('forces a timestamp when the timestamps together outweigh the best text token', () => {
    const logits = scores({ 3: 1, 22: 0.6, 23: 0.6, 24: 0.6 });
    applyTimestampRules(logits, [21, 3], rules);
    expect(allowed(logits).every((id) => id >= 21)).toBe(true);
  });

  it('never generates <|notimestamps|>', () => {
    const logits = scores({ 20: 50 });
    applyTimestampRules(logits, [21, 3], rules);
    expect(logits[20]).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('timestamp tokens to timed pieces', () => {
  it('reads <|t|> as (t - begin) * precision seconds, one piece per start...end', () => {
    expect(timedPieces([21, 3, 4, 71, 71, 5, 96], 21, 0.02, 30)).toEqual([
      { start: 0, end: 1, ids: [3, 4] },
      { start: 1, end: 1.5, ids: [5] },
    ]);
  });

  it('ends text after the last timestamp at the end of the window', () => {
    expect(timedPieces([21, 3, 46, 46, 4], 21, 0.02, 12.5)).toEqual([
      { start: 0, end: 0.5, ids: [3] },
      { start: 0.5, end: 12.5, ids: [4] },
    ]);
  });
});

describe('the Whisper decoder prompt', () => {
  const settings = whisperGenerationSettings(
    {
      decoder_start_token_id: 50,
      eos_token_id: 10,
      no_timestamps_token_id: 20,
      lang_to_id: { '<|en|>': 51, '<|de|>': 52 },
      task_to_id: { transcribe: 53, translate: 54 },
      prev_sot_token_id: 55,
    },
    { max_target_positions: 448 },
    () => undefined,
    'test',
  );

  it('is <|startoftranscript|><|lang|><|task|>[<|notimestamps|>], after <|startofprev|> and a prompt', () => {
    expect(whisperPrompt(settings, { language: 'de', translate: false, timestamps: false })).toEqual([
      50, 52, 53, 20,
    ]);
    expect(whisperPrompt(settings, { language: 'en', translate: true, timestamps: true })).toEqual([
      50, 51, 54,
    ]);
    expect(
      whisperPrompt(settings, { language: 'en', translate: false, timestamps: false, previousIds: [7, 8] }),
    ).toEqual([55, 7, 8, 50, 51, 53, 20]);
  });
});
