// An mlkit text-to-speech Model as the AI SDK's SpeechModelV4 (generateSpeech), and back.
import type {
  SharedV4Warning,
  SpeechModelV4,
  SpeechModelV4CallOptions,
  SpeechModelV4Result,
} from '@ai-sdk/provider';
import {
  AudioFormat,
  defineModel,
  type Model,
  type RunOptions,
  type TextToSpeechInput,
  type TextToSpeechTask,
  textToSpeech,
} from '@mlkit/core';
import { openaiWire } from '@mlkit/core/protocols';
import { definedHeaders } from './call-options.ts';
import { mlkitErrorOf } from './errors.ts';
import { defaultOnWarnings, type ToMlkitOptions } from './to-mlkit.ts';

/** Options of `mlkitSpeechModel`. */
export interface MlkitSpeechModelOptions {
  /** The AI SDK's `provider` name (default 'mlkit'). */
  provider?: string;
  /** The AI SDK's `modelId` (default the mlkit model's `id`). */
  modelId?: string;
}

const FORMATS: readonly string[] = AudioFormat.options;

/**
 * An mlkit text-to-speech Model (hosted or a local ONNX VITS model) as an AI SDK `SpeechModelV4`, for
 * `generateSpeech`. `voice`, `speed` and `outputFormat` (wav, mp3, opus, aac, flac, pcm) are passed
 * on; `instructions` and `language` have no mlkit field and come back as warnings.
 *
 * @example
 * const { audio } = await generateSpeech({ model: mlkitSpeechModel(vits), text: 'Hello' });
 */
export function mlkitSpeechModel(
  model: Model<TextToSpeechTask>,
  options: MlkitSpeechModelOptions = {},
): SpeechModelV4 {
  const modelId = options.modelId ?? model.id;
  return {
    specificationVersion: 'v4',
    provider: options.provider ?? 'mlkit',
    modelId,

    async doGenerate(call: SpeechModelV4CallOptions): Promise<SpeechModelV4Result> {
      const warnings: SharedV4Warning[] = [];
      for (const feature of ['instructions', 'language'] as const)
        if (call[feature] !== undefined) warnings.push({ type: 'unsupported', feature });
      const input: TextToSpeechInput = { text: call.text };
      if (call.voice !== undefined) input.voice = call.voice;
      if (call.speed !== undefined) input.speed = call.speed;
      if (call.outputFormat !== undefined) {
        if (FORMATS.includes(call.outputFormat))
          input.format = call.outputFormat as TextToSpeechInput['format'];
        else
          warnings.push({
            type: 'unsupported',
            feature: `outputFormat ${call.outputFormat}`,
            details: `mlkit models write ${FORMATS.join(', ')}; wav was used`,
          });
      }
      const runOptions: RunOptions = {};
      if (call.abortSignal) runOptions.signal = call.abortSignal;
      const headers = definedHeaders(call.headers);
      if (headers) runOptions.headers = headers;
      const output = await model.run(input, runOptions);
      return {
        audio: output.audio,
        warnings,
        response: { timestamp: new Date(), modelId },
        providerMetadata: {
          mlkit: {
            mediaType: output.mediaType,
            ...(output.sampleRate ? { sampleRate: output.sampleRate } : {}),
          },
        },
      };
    },
  };
}

/** Samples per second of a WAV file, from its fmt chunk (undefined when the bytes are not a WAV). */
function wavSampleRate(bytes: Uint8Array): number | undefined {
  if (bytes.length < 28) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return undefined;
  for (let at = 12; at + 8 <= bytes.length; at += 8 + view.getUint32(at + 4, true)) {
    if (tag(at) === 'fmt ' && at + 16 <= bytes.length) return view.getUint32(at + 12, true);
  }
  return undefined;
}

/**
 * An AI SDK `SpeechModelV4` as an mlkit text-to-speech Model, validated like every mlkit model. The
 * audio comes back as bytes (base64 answers decoded); its media type follows the asked-for format,
 * and a WAV answer's sample rate is read from its header.
 */
export function aiSdkSpeechModel(
  model: SpeechModelV4,
  options: ToMlkitOptions = {},
): Model<TextToSpeechTask> {
  const id = options.id ?? `${model.provider}:${model.modelId}`;
  const onWarnings = options.onWarnings ?? defaultOnWarnings;
  return defineModel({
    task: textToSpeech,
    id,
    capabilities: { streaming: false, batching: false, local: false, ...options.capabilities },
    async run(input, context) {
      let result: SpeechModelV4Result;
      try {
        result = await model.doGenerate({
          text: input.text,
          outputFormat: input.format,
          ...(input.voice === undefined ? {} : { voice: input.voice }),
          ...(input.speed === undefined ? {} : { speed: input.speed }),
          ...(options.providerOptions ? { providerOptions: options.providerOptions } : {}),
          abortSignal: context.signal,
          ...(context.options.headers ? { headers: context.options.headers } : {}),
        });
      } catch (error) {
        throw mlkitErrorOf(error, model.provider);
      }
      if (result.warnings.length > 0) onWarnings(result.warnings, id);
      const audio =
        typeof result.audio === 'string'
          ? Uint8Array.from(atob(result.audio), (char) => char.charCodeAt(0))
          : result.audio;
      const sampleRate = input.format === 'wav' ? wavSampleRate(audio) : undefined;
      return {
        audio,
        mediaType: openaiWire.AUDIO_MEDIA_TYPES[input.format],
        ...(sampleRate ? { sampleRate } : {}),
        usage: {},
      };
    },
  });
}
