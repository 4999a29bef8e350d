import * as z from 'zod/mini';
import { AudioSource } from './media.ts';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** A language as an ISO 639-1 code ('en', 'de'), the form OpenAI's and Whisper's APIs take. */
const Language = z
  .string()
  .check(z.regex(/^[a-z]{2,3}$/, 'expected an ISO 639-1 language code such as "en"'));

/** Schema of a speech-to-text call. */
export const SpeechToTextInput = z.strictObject({
  /** The recording: a URL, encoded bytes (WAV, and what the platform decodes), or PCM samples. */
  audio: AudioSource,
  /** The spoken language, when known (detected when omitted, where the model can). */
  language: z.optional(Language),
  /** Text that came before, or words to expect (names, jargon); it guides, it is not transcribed. */
  prompt: z.optional(z.string()),
  /** Also return `segments` with start and end times. */
  timestamps: z._default(z.boolean(), false),
  /** Translate the speech into English text (Whisper's translate task) instead of transcribing it. */
  translate: z._default(z.boolean(), false),
});
/** What a speech-to-text call takes: `{ audio, language?, prompt?, timestamps?, translate? }`. */
export type SpeechToTextInput = z.input<typeof SpeechToTextInput>;

/** Schema of one timed piece of a transcription. */
export const TranscriptSegment = z.object({
  /** Seconds from the start of the audio. */
  start: z.number().check(z.nonnegative()),
  end: z.number().check(z.nonnegative()),
  text: z.string(),
});
/** One timed piece of a transcription: `{ start, end, text }`, times in seconds. */
export type TranscriptSegment = z.infer<typeof TranscriptSegment>;

/** Schema of a speech-to-text result. */
export const SpeechToTextOutput = z.object({
  text: z.string(),
  /** The language spoken (given or detected), where the model reports it. */
  language: z.optional(z.string()),
  /** With `timestamps`: the text in timed pieces. */
  segments: z.optional(z.array(TranscriptSegment)),
  usage: Usage,
});
/** A transcription: the text, the language where known, timed segments when asked for, and usage. */
export type SpeechToTextOutput = z.infer<typeof SpeechToTextOutput>;

/** Schema of one streamed speech-to-text chunk. */
export const SpeechToTextChunk = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text-delta'), text: z.string() }),
  /** With `timestamps`: a segment complete. */
  z.object({ type: z.literal('segment'), segment: TranscriptSegment }),
  z.object({ type: z.literal('finish'), language: z.optional(z.string()), usage: Usage }),
]);
/** One streamed chunk: `text-delta`s (and `segment`s with timestamps) as they are recognised, then one `finish`. */
export type SpeechToTextChunk = z.infer<typeof SpeechToTextChunk>;

/** Audio in, text (with language and timed segments) out; streams partial text where the backend can. */
export const speechToText: SpeechToTextTask = defineTask({
  name: 'speech-to-text',
  input: SpeechToTextInput,
  output: SpeechToTextOutput,
  chunk: SpeechToTextChunk,
});
/** The speech-to-text task's type; an interface so that hovers say `Model<SpeechToTextTask>`. */
export interface SpeechToTextTask
  extends Task<
    'speech-to-text',
    typeof SpeechToTextInput,
    typeof SpeechToTextOutput,
    typeof SpeechToTextChunk
  > {}
