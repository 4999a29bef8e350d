/**
 * Speech over OpenAI's `audio/*` endpoints, both directions: speech-to-text over
 * `audio/transcriptions` (and `audio/translations` for `translate: true`), a multipart upload
 * answered as json, text, verbose_json (segments), srt or vtt, streamed as `transcript.text.*`
 * events; text-to-speech over `audio/speech`, JSON in and audio bytes out.
 *
 * A module of its own: chat-only bundles import chat.ts and never pull this in.
 */
import * as z from 'zod/mini';
import { InvalidInputError, ResponseValidationError, UnsupportedError } from '../../errors.ts';
import type { PcmAudio } from '../../tasks/media.ts';
import type {
  SpeechToTextChunk,
  SpeechToTextInput,
  SpeechToTextOutput,
  SpeechToTextTask,
  TranscriptSegment,
} from '../../tasks/speech-to-text.ts';
import type { ParsedInputOf } from '../../tasks/task.ts';
import type {
  AudioFormat,
  TextToSpeechInput,
  TextToSpeechOutput,
  TextToSpeechTask,
} from '../../tasks/text-to-speech.ts';
import type { Usage } from '../../tasks/usage.ts';
import type { TaskMapping } from '../types.ts';
import { parseStreamError, streamError, unsupported } from './errors.ts';
import { encodeWav16, isWav, wavSampleRate } from './wav.ts';

// --- Wire shapes -----------------------------------------------------------------------------------

/** What `response_format` a transcription may ask for. */
export const TranscriptionFormat = z.enum(['json', 'text', 'verbose_json', 'srt', 'vtt']);
export type TranscriptionFormat = z.infer<typeof TranscriptionFormat>;

/** A multipart form field that carries a boolean ('true' / 'false', as the SDKs send it). */
const FormBoolean = z.pipe(
  z.union([z.boolean(), z.enum(['true', 'false'])]),
  z.transform((value) => value === true || value === 'true'),
);
/** A multipart form field that carries a number. */
const FormNumber = z.pipe(
  z.union([z.number(), z.string().check(z.regex(/^-?\d+(\.\d+)?$/, 'expected a number'))]),
  z.transform((value) => Number(value)),
);

/**
 * POST audio/transcriptions and audio/translations, as the fields of its multipart form: the file
 * (a Blob with its filename) and the rest as form fields; unknown fields (chunking_strategy,
 * include[]) are accepted and ignored.
 */
export const TranscriptionRequest = z.looseObject({
  file: z.custom<Blob>((value) => typeof Blob !== 'undefined' && value instanceof Blob, 'expected a file'),
  /** The upload's filename; OpenAI reads the container from its extension. */
  filename: z.string(),
  model: z.string().check(z.minLength(1)),
  language: z.optional(z.string()),
  prompt: z.optional(z.string()),
  response_format: z.optional(TranscriptionFormat),
  temperature: z.optional(FormNumber),
  timestamp_granularities: z.optional(z.array(z.enum(['word', 'segment']))),
  stream: z.optional(FormBoolean),
});
export type TranscriptionRequest = z.output<typeof TranscriptionRequest>;

const seconds = z.number().check(z.nonnegative());

/** `usage` of a transcription: tokens (gpt-4o-transcribe) or seconds of audio (whisper-1). */
const TranscriptionUsage = z.object({
  type: z.optional(z.string()),
  input_tokens: z.nullish(z.int()),
  output_tokens: z.nullish(z.int()),
  total_tokens: z.nullish(z.int()),
  seconds: z.nullish(z.number()),
});

/** A `json` or `verbose_json` transcription (only the fields mlkit reads; the rest pass through). */
export const TranscriptionResponse = z.object({
  text: z.string(),
  /** verbose_json: the language, as OpenAI names it ('english'), or a code from other servers. */
  language: z.nullish(z.string()),
  duration: z.nullish(seconds),
  segments: z.nullish(z.array(z.object({ start: seconds, end: seconds, text: z.string() }))),
  usage: z.nullish(TranscriptionUsage),
});
export type TranscriptionResponse = z.infer<typeof TranscriptionResponse>;

/** One event of a streamed transcription (`stream: true`). */
export const TranscriptionStreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('transcript.text.delta'), delta: z.string() }),
  z.object({
    type: z.literal('transcript.text.segment'),
    start: seconds,
    end: seconds,
    text: z.string(),
  }),
  z.object({
    type: z.literal('transcript.text.done'),
    text: z.string(),
    usage: z.nullish(TranscriptionUsage),
  }),
]);
export type TranscriptionStreamEvent = z.infer<typeof TranscriptionStreamEvent>;

/** POST audio/speech. `voice` is optional here: servers other than OpenAI have a default voice. */
export const SpeechRequest = z.looseObject({
  model: z.string().check(z.minLength(1)),
  input: z.string().check(z.minLength(1)),
  /** A voice name, or OpenAI's custom voice `{ id }`. */
  voice: z.optional(z.union([z.string().check(z.minLength(1)), z.object({ id: z.string() })])),
  response_format: z.optional(z.enum(['wav', 'mp3', 'opus', 'aac', 'flac', 'pcm'])),
  speed: z.optional(z.number().check(z.gte(0.25), z.lte(4))),
  instructions: z.optional(z.string()),
  /** 'sse' streams base64 audio events; only 'audio' (one body) is read and served. */
  stream_format: z.optional(z.enum(['audio', 'sse'])),
});
export type SpeechRequest = z.infer<typeof SpeechRequest>;

/** The answer of audio/speech: the audio bytes and the Content-Type they came with. */
export interface SpeechResponse {
  audio: Uint8Array;
  contentType: string;
}

// --- Audio files -----------------------------------------------------------------------------------

/** Media types of the audio formats, as OpenAI answers them. */
export const AUDIO_MEDIA_TYPES: Record<AudioFormat, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  pcm: 'audio/pcm',
};

/** OpenAI's raw `pcm`: 16-bit little-endian mono at 24 kHz (its documented rate). */
const OPENAI_PCM_SAMPLE_RATE = 24_000;

/** An audio file's container from its first bytes: the filename extension and media type to upload it with. */
export function sniffAudio(bytes: Uint8Array): { extension: string; mediaType: string } | undefined {
  const at = (offset: number, ...values: number[]) => values.every((v, i) => bytes[offset + i] === v);
  if (isWav(bytes)) return { extension: 'wav', mediaType: 'audio/wav' };
  if (at(0, 0x66, 0x4c, 0x61, 0x43)) return { extension: 'flac', mediaType: 'audio/flac' }; // fLaC
  if (at(0, 0x4f, 0x67, 0x67, 0x53)) return { extension: 'ogg', mediaType: 'audio/ogg' }; // OggS
  if (at(0, 0x49, 0x44, 0x33) || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0))
    return { extension: 'mp3', mediaType: 'audio/mpeg' }; // ID3 tag, or an MPEG frame sync
  if (at(4, 0x66, 0x74, 0x79, 0x70)) return { extension: 'm4a', mediaType: 'audio/mp4' }; // ftyp
  if (at(0, 0x1a, 0x45, 0xdf, 0xa3)) return { extension: 'webm', mediaType: 'audio/webm' }; // EBML
  return undefined;
}

const EXTENSIONS_BY_TYPE: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/flac': 'flac',
  'audio/ogg': 'ogg',
  'audio/mp4': 'm4a',
  'audio/m4a': 'm4a',
  'audio/webm': 'webm',
};

/** A `data:` URL's bytes and media type. */
function dataUrlBytes(url: string): { bytes: Uint8Array<ArrayBuffer>; mediaType: string } {
  const comma = url.indexOf(',');
  const header = url.slice(5, comma < 0 ? undefined : comma);
  const payload = comma < 0 ? '' : url.slice(comma + 1);
  const base64 = /;base64$/i.test(header);
  const mediaType =
    header
      .replace(/;base64$/i, '')
      .split(';')[0]!
      .trim() || 'application/octet-stream';
  try {
    if (base64) {
      const binary = atob(decodeURIComponent(payload));
      return { bytes: Uint8Array.from(binary, (c) => c.charCodeAt(0)), mediaType };
    }
    return { bytes: new TextEncoder().encode(decodeURIComponent(payload)), mediaType };
  } catch (cause) {
    throw new InvalidInputError('input.audio is a data: URL whose payload does not decode', {
      issues: [{ path: 'input.audio', message: 'expected valid base64 (or percent-encoded) data' }],
      cause,
    });
  }
}

/** The upload's Blob and filename for the given bytes, named by their container (declared type, then magic bytes). */
function fileOf(
  bytes: Uint8Array<ArrayBuffer>,
  declaredType: string | undefined,
): { file: Blob; filename: string } {
  const sniffed = sniffAudio(bytes);
  const declared = declaredType ? EXTENSIONS_BY_TYPE[declaredType.toLowerCase()] : undefined;
  const mediaType = declared ? declaredType! : (sniffed?.mediaType ?? 'application/octet-stream');
  const extension = declared ?? sniffed?.extension;
  return {
    file: new Blob([bytes], { type: mediaType }),
    filename: extension ? `audio.${extension}` : 'audio',
  };
}

const isPcm = (audio: unknown): audio is PcmAudio =>
  typeof audio === 'object' && audio !== null && 'pcm' in audio;

/**
 * The task's audio as the upload: bytes and Blobs as they are (typed and named from the Blob's
 * type or name, else from their magic bytes), PCM as 16-bit WAV, `data:` URLs decoded. Other URLs
 * are refused: the endpoint takes a file, and fetching it here would hide where the bytes came from.
 */
export function audioUpload(audio: ParsedInputOf<SpeechToTextTask>['audio']): {
  file: Blob;
  filename: string;
} {
  if (isPcm(audio)) {
    const bytes = encodeWav16(audio.pcm, audio.sampleRate, audio.channels ?? 1);
    return { file: new Blob([bytes], { type: 'audio/wav' }), filename: 'audio.wav' };
  }
  if (audio instanceof Uint8Array) return fileOf(audio as Uint8Array<ArrayBuffer>, undefined);
  if (audio instanceof ArrayBuffer) return fileOf(new Uint8Array(audio), undefined);
  if (typeof Blob !== 'undefined' && audio instanceof Blob) {
    const name = (audio as Partial<File>).name;
    const extension = EXTENSIONS_BY_TYPE[audio.type.toLowerCase()];
    return { file: audio, filename: name || (extension ? `audio.${extension}` : 'audio') };
  }
  const url = String(audio);
  if (url.startsWith('data:')) {
    const { bytes, mediaType } = dataUrlBytes(url);
    return fileOf(bytes, mediaType);
  }
  throw new UnsupportedError(
    'OpenAI audio endpoints take the file itself, not a URL: fetch the audio and pass its bytes (Uint8Array, ArrayBuffer or Blob) as input.audio',
  );
}

/** The request as OpenAI's multipart form (`timestamp_granularities[]` repeated, as the SDKs send it). */
export function transcriptionForm(request: TranscriptionRequest): FormData {
  const form = new FormData();
  form.append('file', request.file, request.filename);
  for (const [name, value] of Object.entries(request)) {
    if (name === 'file' || name === 'filename' || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) form.append(`${name}[]`, String(item));
    else form.append(name, String(value));
  }
  return form;
}

/** Server: a multipart form as a TranscriptionRequest to schema-check (array fields from `name[]`). */
export function transcriptionFields(form: FormData): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    if (name.endsWith('[]')) {
      const key = name.slice(0, -2);
      const list = (fields[key] as unknown[] | undefined) ?? [];
      list.push(value);
      fields[key] = list;
    } else if (name === 'file' && typeof value !== 'string') {
      fields.file = value;
      fields.filename = (value as File).name || 'audio';
    } else fields[name] = value;
  }
  return fields;
}

// --- Speech-to-text mapping ------------------------------------------------------------------------

/** What transcriptions need besides the payload. */
export interface TranscriptionContext {
  modelName: string;
  /** Server: the format asked for (json when omitted). Client: read from the request it sent. */
  responseFormat?: TranscriptionFormat | undefined;
  /** Server: the route was audio/translations. */
  translate?: boolean | undefined;
  /** Client: the provider's name, for errors. */
  provider?: string | undefined;
}

/** Client: the task's input as the form's fields; timestamps ask for verbose_json with segment times. */
function encodeTranscriptionRequest(
  input: ParsedInputOf<SpeechToTextTask>,
  context: TranscriptionContext,
): TranscriptionRequest {
  const request: TranscriptionRequest = { ...audioUpload(input.audio), model: context.modelName };
  // audio/translations has no `language`: its output is always English.
  if (input.language !== undefined && !input.translate) request.language = input.language;
  if (input.prompt !== undefined) request.prompt = input.prompt;
  if (input.timestamps) {
    request.response_format = 'verbose_json';
    if (!input.translate) request.timestamp_granularities = ['segment'];
  } else request.response_format = 'json';
  return request;
}

/** Server: the form (schema-checked) as the task's input; segments are asked for by the formats that show them. */
function decodeTranscriptionRequest(
  body: TranscriptionRequest,
  context: TranscriptionContext,
): SpeechToTextInput {
  if (body.timestamp_granularities?.includes('word')) {
    throw unsupported(
      'timestamp_granularities "word" is not supported; ask for "segment" timestamps',
      'timestamp_granularities',
    );
  }
  const format = body.response_format ?? 'json';
  const input: SpeechToTextInput = {
    audio: body.file,
    timestamps: format === 'verbose_json' || format === 'srt' || format === 'vtt',
    translate: context.translate === true,
  };
  if (body.language !== undefined && body.language !== '') input.language = body.language;
  if (body.prompt !== undefined && body.prompt !== '') input.prompt = body.prompt;
  return input;
}

/** `usage` of a transcription from the task's: tokens when the model counted them, else none. */
function wireUsage(usage: Usage) {
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  return {
    type: 'tokens',
    input_tokens: input,
    output_tokens: output,
    total_tokens: usage.totalTokens ?? input + output,
  };
}

/** `hh:mm:ss,mmm` (srt) or `hh:mm:ss.mmm` (vtt). */
function timestamp(totalSeconds: number, separator: ',' | '.'): string {
  const ms = Math.round(totalSeconds * 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const secs = Math.floor(ms / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(ms % 1000, 3)}`;
}

/** The segments to show as subtitles: the model's, or the whole text as one untimed cue. */
function cues(output: SpeechToTextOutput): TranscriptSegment[] {
  return output.segments?.length ? output.segments : [{ start: 0, end: 0, text: output.text }];
}

/**
 * Server: the task's output in the asked-for format: an object for json / verbose_json, text for
 * text / srt / vtt. verbose_json's per-segment decoder figures (avg_logprob, ...) are 0: mlkit's
 * task does not carry them.
 */
function encodeTranscriptionResponse(
  output: SpeechToTextOutput,
  context: TranscriptionContext,
): TranscriptionResponse | string {
  const format = context.responseFormat ?? 'json';
  const usage = wireUsage(output.usage);
  if (format === 'text') return output.text;
  if (format === 'srt')
    return cues(output)
      .map(
        (cue, i) =>
          `${i + 1}\n${timestamp(cue.start, ',')} --> ${timestamp(cue.end, ',')}\n${cue.text.trim()}\n`,
      )
      .join('\n');
  if (format === 'vtt')
    return `WEBVTT\n\n${cues(output)
      .map((cue) => `${timestamp(cue.start, '.')} --> ${timestamp(cue.end, '.')}\n${cue.text.trim()}\n`)
      .join('\n')}`;
  if (format === 'json') return { text: output.text, ...(usage ? { usage } : {}) };
  const segments = output.segments ?? [];
  return {
    task: context.translate ? 'translate' : 'transcribe',
    language: output.language ?? '',
    duration: segments.at(-1)?.end ?? 0,
    text: output.text,
    segments: segments.map((segment, id) => ({
      id,
      seek: 0,
      start: segment.start,
      end: segment.end,
      text: segment.text,
      tokens: [],
      temperature: 0,
      avg_logprob: 0,
      compression_ratio: 0,
      no_speech_prob: 0,
    })),
    ...(usage ? { usage } : {}),
  } as TranscriptionResponse;
}

function taskUsage(usage: z.infer<typeof TranscriptionUsage> | null | undefined): Usage {
  const out: Usage = {};
  if (usage?.input_tokens != null) out.inputTokens = usage.input_tokens;
  if (usage?.output_tokens != null) out.outputTokens = usage.output_tokens;
  if (usage?.total_tokens != null) out.totalTokens = usage.total_tokens;
  return out;
}

/** Client: a json / verbose_json body (schema-checked), or a text body, as the task's output. */
function decodeTranscriptionResponse(
  body: TranscriptionResponse | string,
  _context: TranscriptionContext,
): SpeechToTextOutput {
  if (typeof body === 'string') return { text: body, usage: {} };
  const output: SpeechToTextOutput = { text: body.text, usage: taskUsage(body.usage) };
  if (body.language) output.language = body.language;
  if (body.segments) output.segments = body.segments.map(({ start, end, text }) => ({ start, end, text }));
  return output;
}

/** Speech-to-text, both directions. */
export const transcriptions: TaskMapping<
  SpeechToTextTask,
  TranscriptionRequest,
  TranscriptionResponse | string,
  TranscriptionContext
> = {
  encodeRequest: encodeTranscriptionRequest,
  decodeRequest: decodeTranscriptionRequest,
  encodeResponse: encodeTranscriptionResponse,
  decodeResponse: decodeTranscriptionResponse,
};

/** Client: a `transcript.text.*` event stream as the task's chunks; a stream without `done` is an error. */
export async function* transcriptionStream(
  events: AsyncIterable<{ event: string | undefined; data: string }>,
  provider: string,
): AsyncGenerator<SpeechToTextChunk> {
  for await (const event of events) {
    if (event.data === '[DONE]') break;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch (cause) {
      throw new ResponseValidationError(`${provider} sent a transcription event that is not JSON`, {
        provider,
        cause,
      });
    }
    const failure =
      parseStreamError(data) ??
      (event.event === 'error' ? { message: event.data, status: undefined } : undefined);
    if (failure) throw streamError(provider, failure);
    const parsed = TranscriptionStreamEvent.safeParse(data);
    // Events this mapping does not know (logprobs, future kinds) are skipped, as the SDKs do.
    if (!parsed.success) continue;
    const value = parsed.data;
    if (value.type === 'transcript.text.delta') yield { type: 'text-delta', text: value.delta };
    else if (value.type === 'transcript.text.segment')
      yield { type: 'segment', segment: { start: value.start, end: value.end, text: value.text } };
    else {
      yield { type: 'finish', usage: taskUsage(value.usage) };
      return;
    }
  }
  throw new ResponseValidationError(
    `${provider} ended the transcription stream without a transcript.text.done event`,
    { provider },
  );
}

/** Server: the task's chunks as `transcript.text.*` events (JSON texts for `data:` lines), ending with `done`. */
export async function* transcriptionEvents(chunks: AsyncIterable<SpeechToTextChunk>): AsyncGenerator<string> {
  let text = '';
  for await (const chunk of chunks) {
    if (chunk.type === 'text-delta') {
      text += chunk.text;
      yield JSON.stringify({ type: 'transcript.text.delta', delta: chunk.text });
    } else if (chunk.type === 'segment') {
      yield JSON.stringify({ type: 'transcript.text.segment', ...chunk.segment });
    } else {
      const usage = wireUsage(chunk.usage);
      yield JSON.stringify({ type: 'transcript.text.done', text, ...(usage ? { usage } : {}) });
    }
  }
}

// --- Text-to-speech mapping ------------------------------------------------------------------------

/** What speech needs besides the payload. */
export interface SpeechContext {
  modelName: string;
  /**
   * Client: the voice when the input names none (the provider's `voice` setting). Without either,
   * OpenAI (`voiceRequired`) is refused before the request, since its API requires a voice and
   * picking one silently would choose how the product sounds; other servers get no `voice` and
   * use their own default (mlkit's server: the model's).
   */
  defaultVoice?: string | undefined;
  /** Client: the server requires `voice` (OpenAI's does). */
  voiceRequired?: boolean | undefined;
  /** Client: the format it asked for (the answer's `sampleRate` for `pcm`); server: the format to answer with. */
  format?: AudioFormat | undefined;
  /** Client: samples per second of raw `pcm` answers. Default 24000, OpenAI's rate. */
  pcmSampleRate?: number | undefined;
}

/** Client: the task's input as the JSON body; the format is always sent (wav by the task's default). */
function encodeSpeechRequest(input: ParsedInputOf<TextToSpeechTask>, context: SpeechContext): SpeechRequest {
  const voice = input.voice ?? context.defaultVoice;
  if (voice === undefined && context.voiceRequired) {
    throw new InvalidInputError(
      "This speech API needs a voice: pass input.voice (e.g. 'alloy') or the model's `voice` setting",
      { issues: [{ path: 'input.voice', message: 'required by this server' }] },
    );
  }
  const request: SpeechRequest = {
    model: context.modelName,
    input: input.text,
    response_format: input.format,
  };
  if (voice !== undefined) request.voice = voice;
  if (input.speed !== undefined) request.speed = input.speed;
  return request;
}

/**
 * Server: the JSON body (schema-checked) as the task's input. A missing `response_format` is the
 * task's default (wav), not OpenAI's mp3: local models write WAV, and the answer's Content-Type says
 * which it is.
 */
function decodeSpeechRequest(body: SpeechRequest, _context: SpeechContext): TextToSpeechInput {
  if (body.stream_format === 'sse')
    throw unsupported(
      'stream_format "sse" is not supported; leave it out for one audio body',
      'stream_format',
    );
  if (typeof body.voice === 'object')
    throw unsupported("custom voice ids are not supported; name one of the model's voices", 'voice');
  const input: TextToSpeechInput = { text: body.input, format: body.response_format ?? 'wav' };
  if (body.voice !== undefined) input.voice = body.voice;
  if (body.speed !== undefined) input.speed = body.speed;
  return input;
}

/** Server: the audio as the response body and its Content-Type. */
function encodeSpeechResponse(output: TextToSpeechOutput, _context: SpeechContext): SpeechResponse {
  return { audio: output.audio, contentType: output.mediaType };
}

/** Client: the audio bytes, their media type, and the sample rate (WAV header; OpenAI's 24 kHz for pcm). */
function decodeSpeechResponse(body: SpeechResponse, context: SpeechContext): TextToSpeechOutput {
  const mediaType = body.contentType.split(';')[0]!.trim().toLowerCase() || 'application/octet-stream';
  const output: TextToSpeechOutput = { audio: body.audio, mediaType, usage: {} };
  const sampleRate =
    wavSampleRate(body.audio) ??
    (context.format === 'pcm' ? (context.pcmSampleRate ?? OPENAI_PCM_SAMPLE_RATE) : undefined);
  if (sampleRate !== undefined) output.sampleRate = sampleRate;
  return output;
}

/** Text-to-speech, both directions. */
export const speech: TaskMapping<TextToSpeechTask, SpeechRequest, SpeechResponse, SpeechContext> = {
  encodeRequest: encodeSpeechRequest,
  decodeRequest: decodeSpeechRequest,
  encodeResponse: encodeSpeechResponse,
  decodeResponse: decodeSpeechResponse,
};
