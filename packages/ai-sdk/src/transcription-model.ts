// An mlkit speech-to-text Model as the AI SDK's TranscriptionModelV4 (transcribe), and back.
import type {
  JSONObject,
  SharedV4Warning,
  TranscriptionModelV4,
  TranscriptionModelV4CallOptions,
  TranscriptionModelV4Result,
} from '@ai-sdk/provider';
import {
  defineModel,
  type Model,
  type RunOptions,
  type SpeechToTextInput,
  type SpeechToTextTask,
  speechToText,
  UnsupportedError,
} from '@mlkit/core';
import { openaiWire } from '@mlkit/core/protocols';
import { definedHeaders } from './call-options.ts';
import { mlkitErrorOf } from './errors.ts';
import { defaultOnWarnings, type ToMlkitOptions } from './to-mlkit.ts';

/** Options of `mlkitTranscriptionModel`. */
export interface MlkitTranscriptionModelOptions {
  /** The AI SDK's `provider` name (default 'mlkit'). */
  provider?: string;
  /** The AI SDK's `modelId` (default the mlkit model's `id`). */
  modelId?: string;
}

/** Base64 text (the AI SDK's string form of audio) as bytes. */
function bytesOf(audio: Uint8Array | string): Uint8Array {
  if (typeof audio !== 'string') return audio;
  const binary = atob(audio);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * An mlkit speech-to-text Model (hosted Whisper, a local ONNX Whisper or CTC model) as an AI SDK
 * `TranscriptionModelV4`, for `transcribe`. Segment timestamps are asked for when the call asks for
 * segments; word timestamps are not available and come back as a warning. The language can be
 * given as `providerOptions.mlkit.language`.
 *
 * @example
 * const { text } = await transcribe({ model: mlkitTranscriptionModel(whisper), audio: wavBytes });
 */
export function mlkitTranscriptionModel(
  model: Model<SpeechToTextTask>,
  options: MlkitTranscriptionModelOptions = {},
): TranscriptionModelV4 {
  const modelId = options.modelId ?? model.id;
  return {
    specificationVersion: 'v4',
    provider: options.provider ?? 'mlkit',
    modelId,

    async doGenerate(call: TranscriptionModelV4CallOptions): Promise<TranscriptionModelV4Result> {
      const warnings: SharedV4Warning[] = [];
      const granularities = call.timestampGranularities ?? [];
      if (granularities.includes('word'))
        warnings.push({
          type: 'unsupported',
          feature: 'timestampGranularities word',
          details: 'mlkit speech-to-text models return segment timestamps only',
        });
      const language = call.providerOptions?.mlkit?.language;
      const input: SpeechToTextInput = {
        audio: bytesOf(call.audio),
        timestamps: granularities.includes('segment'),
        ...(typeof language === 'string' ? { language } : {}),
      };
      const runOptions: RunOptions = {};
      if (call.abortSignal) runOptions.signal = call.abortSignal;
      const headers = definedHeaders(call.headers);
      if (headers) runOptions.headers = headers;
      const output = await model.run(input, runOptions);
      return {
        text: output.text,
        segments: (output.segments ?? []).map((segment) => ({
          text: segment.text,
          startSecond: segment.start,
          endSecond: segment.end,
        })),
        language: output.language,
        durationInSeconds: output.segments?.at(-1)?.end,
        warnings,
        response: { timestamp: new Date(), modelId },
      };
    },
  };
}

/**
 * An AI SDK `TranscriptionModelV4` as an mlkit speech-to-text Model, validated like every mlkit
 * model. Audio must be an encoded file (Uint8Array, ArrayBuffer or Blob): the AI SDK's contract takes
 * files, so PCM samples and URLs are refused by name. `language` and `prompt` travel in the provider's
 * own `providerOptions` entry (`{ openai: { language, prompt } }`), where OpenAI's provider reads them.
 */
export function aiSdkTranscriptionModel(
  model: TranscriptionModelV4,
  options: ToMlkitOptions = {},
): Model<SpeechToTextTask> {
  const id = options.id ?? `${model.provider}:${model.modelId}`;
  const onWarnings = options.onWarnings ?? defaultOnWarnings;
  // The AI SDK's call has no language or prompt field: its providers read them from their own
  // providerOptions entry (`openai.language`, `openai.prompt`), keyed by the provider's first name.
  const providerKey = model.provider.split('.')[0]!;
  return defineModel({
    task: speechToText,
    id,
    capabilities: { streaming: false, batching: false, local: false, ...options.capabilities },
    async run(input, context) {
      const audio = input.audio;
      let bytes: Uint8Array;
      if (audio instanceof Uint8Array) bytes = audio;
      else if (audio instanceof ArrayBuffer) bytes = new Uint8Array(audio);
      else if (typeof Blob !== 'undefined' && audio instanceof Blob)
        bytes = new Uint8Array(await audio.arrayBuffer());
      else
        throw new UnsupportedError(
          `${id} transcribes encoded audio files; pass the file's bytes (Uint8Array, ArrayBuffer or Blob), not a URL or PCM samples`,
          { param: 'audio' },
        );
      if (input.translate)
        throw new UnsupportedError(`${id}: the AI SDK's transcription models do not translate`, {
          param: 'translate',
        });
      let result: TranscriptionModelV4Result;
      try {
        result = await model.doGenerate({
          audio: bytes,
          mediaType: openaiWire.sniffAudio(bytes)?.mediaType ?? 'application/octet-stream',
          ...(input.timestamps ? { timestampGranularities: ['segment' as const] } : {}),
          providerOptions: providerOptionsOf(options.providerOptions, providerKey, input),
          abortSignal: context.signal,
          ...(context.options.headers ? { headers: context.options.headers } : {}),
        });
      } catch (error) {
        throw mlkitErrorOf(error, model.provider);
      }
      if (result.warnings.length > 0) onWarnings(result.warnings, id);
      return {
        text: result.text,
        ...(result.language ? { language: result.language } : {}),
        ...(input.timestamps
          ? {
              segments: result.segments.map((segment) => ({
                start: segment.startSecond,
                end: segment.endSecond,
                text: segment.text,
              })),
            }
          : {}),
        usage: {},
      };
    },
  });
}

/** The caller's providerOptions with the input's language and prompt in the provider's own entry. */
function providerOptionsOf(
  base: Record<string, JSONObject> | undefined,
  key: string,
  input: { language?: string | undefined; prompt?: string | undefined },
): Record<string, JSONObject> {
  const own: JSONObject = { ...base?.[key] };
  if (input.language !== undefined) own.language = input.language;
  if (input.prompt !== undefined) own.prompt = input.prompt;
  return { ...base, [key]: own };
}
