import { InvalidInputError, ModelLoadError, UnsupportedError } from '@mlkit/core';
import { idsOf, numberOf } from '../config-values.ts';

type Json = Record<string, unknown>;

/** What generation_config.json (with config.json filling gaps) tells a Whisper decoder loop. */
export interface WhisperGenerationSettings {
  /** <|startoftranscript|>. */
  decoderStartId: number;
  eosId: number;
  /** <|notimestamps|>; the timestamp tokens follow it. */
  noTimestampsId: number | undefined;
  /** Language token ids by ISO code ('en' -> id of <|en|>); empty for English-only models. */
  languageIds: Map<string, number>;
  /** 'transcribe' / 'translate' -> token id. */
  taskIds: Map<string, number>;
  multilingual: boolean;
  /** Ids never generated. */
  suppressIds: number[];
  /** Ids not generated as the first token. */
  beginSuppressIds: number[];
  /** The latest first timestamp, as an index past <|0.00|> (50 = 1 s); undefined for no limit. */
  maxInitialTimestampIndex: number | undefined;
  /** <|startofprev|>, which precedes a `prompt`. */
  startOfPreviousId: number | undefined;
  /** Most tokens in the decoder's sequence, prompt included (max_target_positions, 448). */
  maxLength: number;
  /** Most tokens generated per window, where generation_config.json sets max_new_tokens. */
  maxNewTokens: number | undefined;
}

/** `{"<|en|>": 50259}` -> Map { 'en' => 50259 }. */
function languagesOf(value: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (!value || typeof value !== 'object') return out;
  for (const [token, id] of Object.entries(value as Json)) {
    const code = /^<\|(.+)\|>$/.exec(token)?.[1];
    if (code && typeof id === 'number') out.set(code, id);
  }
  return out;
}

/** Read a Whisper folder's generation settings; a missing start or end token is a ModelLoadError. */
export function whisperGenerationSettings(
  generation: Json,
  config: Json,
  idOf: (token: string) => number | undefined,
  label: string,
): WhisperGenerationSettings {
  const decoderStartId = numberOf(generation.decoder_start_token_id, config.decoder_start_token_id);
  const eosId = idsOf(generation.eos_token_id ?? config.eos_token_id)[0];
  if (decoderStartId === undefined || eosId === undefined) {
    throw new ModelLoadError(
      `${label}: a Whisper model needs decoder_start_token_id and eos_token_id in generation_config.json or config.json`,
    );
  }
  const languageIds = languagesOf(generation.lang_to_id);
  const taskIds = new Map<string, number>();
  for (const [task, id] of Object.entries((generation.task_to_id as Json | undefined) ?? {})) {
    if (typeof id === 'number') taskIds.set(task, id);
  }
  const multilingual =
    typeof generation.is_multilingual === 'boolean' ? generation.is_multilingual : languageIds.size > 0;
  return {
    decoderStartId,
    eosId,
    noTimestampsId: numberOf(generation.no_timestamps_token_id) ?? idOf('<|notimestamps|>'),
    languageIds,
    taskIds,
    multilingual,
    suppressIds: idsOf(generation.suppress_tokens ?? config.suppress_tokens),
    beginSuppressIds: idsOf(generation.begin_suppress_tokens ?? config.begin_suppress_tokens),
    maxInitialTimestampIndex: numberOf(generation.max_initial_timestamp_index),
    startOfPreviousId: numberOf(generation.prev_sot_token_id) ?? idOf('<|startofprev|>'),
    maxLength: numberOf(config.max_target_positions, generation.max_length) ?? 448,
    maxNewTokens: numberOf(generation.max_new_tokens),
  };
}

/** What one window's decoding starts from. */
export interface WhisperPromptOptions {
  /** ISO code of the spoken language (English-only models take none). */
  language: string | undefined;
  translate: boolean;
  timestamps: boolean;
  /** Ids of the previous text (`prompt`), without <|startofprev|>. */
  previousIds?: number[] | undefined;
}

/** Check a requested language against the model's before any inference. */
export function checkLanguage(
  settings: WhisperGenerationSettings,
  language: string | undefined,
  label: string,
) {
  if (language === undefined) return;
  if (!settings.multilingual) {
    if (language === 'en') return;
    throw new UnsupportedError(
      `${label} is an English-only Whisper model; leave out language (or pass "en")`,
      {
        param: 'language',
      },
    );
  }
  if (!settings.languageIds.has(language)) {
    const known = [...settings.languageIds.keys()];
    const message = `input.language: ${label} does not know "${language}"; it knows ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}`;
    throw new InvalidInputError(`Invalid input — ${message}`, {
      issues: [{ path: 'input.language', message }],
    });
  }
}

/**
 * The decoder's first tokens, as transformers' WhisperForConditionalGeneration builds them:
 * [<|startofprev|> prompt...] <|startoftranscript|> [<|lang|> <|transcribe|or|translate|>] [<|notimestamps|>].
 */
export function whisperPrompt(settings: WhisperGenerationSettings, options: WhisperPromptOptions): number[] {
  const ids: number[] = [];
  if (options.previousIds?.length && settings.startOfPreviousId !== undefined) {
    // Whisper keeps the later half of the context for the previous text (openai/whisper's n_ctx // 2 - 1).
    const room = Math.floor(settings.maxLength / 2) - 1;
    ids.push(settings.startOfPreviousId, ...options.previousIds.slice(-room));
  }
  ids.push(settings.decoderStartId);
  if (settings.multilingual) {
    const languageId = settings.languageIds.get(options.language ?? 'en');
    if (languageId !== undefined) ids.push(languageId);
    const taskId = settings.taskIds.get(options.translate ? 'translate' : 'transcribe');
    if (taskId !== undefined) ids.push(taskId);
  }
  if (!options.timestamps && settings.noTimestampsId !== undefined) ids.push(settings.noTimestampsId);
  return ids;
}
