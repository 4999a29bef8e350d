import * as z from 'zod/mini';
import { defineTask, type Task } from './task.ts';
import { Usage } from './usage.ts';

/** Audio containers a text-to-speech call can ask for (OpenAI's `response_format` values). */
export const AudioFormat = z.enum(['wav', 'mp3', 'opus', 'aac', 'flac', 'pcm']);
/** An audio container: 'wav', 'mp3', 'opus', 'aac', 'flac', or 'pcm' (raw 16-bit little-endian samples). */
export type AudioFormat = z.infer<typeof AudioFormat>;

/** Schema of a text-to-speech call. */
export const TextToSpeechInput = z.strictObject({
  text: z.string().check(z.minLength(1)),
  /** A voice the model has ('alloy' for OpenAI, a speaker name for multi-speaker local models). */
  voice: z.optional(z.string().check(z.minLength(1))),
  /** Speaking rate, 1 = normal. */
  speed: z.optional(z.number().check(z.gte(0.25), z.lte(4))),
  /** The container of the returned audio ('wav' when omitted, so hosted and local answers compare). */
  format: z._default(AudioFormat, 'wav'),
});
/** What a text-to-speech call takes: `{ text, voice?, speed?, format? }`. */
export type TextToSpeechInput = z.input<typeof TextToSpeechInput>;

/** Schema of a text-to-speech result. */
export const TextToSpeechOutput = z.object({
  /** The encoded audio, in the asked-for `format`. */
  audio: z.custom<Uint8Array<ArrayBufferLike>>(
    (value) => value instanceof Uint8Array,
    'expected a Uint8Array',
  ),
  /** Its media type, e.g. 'audio/wav'. */
  mediaType: z.string(),
  /** Samples per second, where the format or the model says (always for wav and pcm). */
  sampleRate: z.optional(z.int().check(z.positive())),
  usage: Usage,
});
/** Synthesised speech: the encoded audio bytes, their media type and sample rate, and usage. */
export type TextToSpeechOutput = z.infer<typeof TextToSpeechOutput>;

/** Text (and a voice) in, encoded audio out. */
export const textToSpeech: TextToSpeechTask = defineTask({
  name: 'text-to-speech',
  input: TextToSpeechInput,
  output: TextToSpeechOutput,
});
/** The text-to-speech task's type; an interface so that hovers say `Model<TextToSpeechTask>`. */
export interface TextToSpeechTask
  extends Task<'text-to-speech', typeof TextToSpeechInput, typeof TextToSpeechOutput, undefined> {}
