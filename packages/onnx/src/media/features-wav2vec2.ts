import { InvalidInputError } from '@mlkit/core';
import * as z from 'zod/mini';

/** Schema of a Wav2Vec2FeatureExtractor's preprocessor_config.json (the fields the features need). */
export const Wav2Vec2FeatureConfig = z.object({
  feature_extractor_type: z.optional(z.string()),
  sampling_rate: z.int().check(z.positive()),
  /** Zero-mean, unit-variance per input (true for most checkpoints, false for wav2vec2-base). */
  do_normalize: z.optional(z.boolean()),
  return_attention_mask: z.optional(z.boolean()),
  feature_size: z.optional(z.literal(1)),
  padding_value: z.optional(z.number()),
});
/** A Wav2Vec2FeatureExtractor's preprocessor_config.json. */
export type Wav2Vec2FeatureConfig = z.infer<typeof Wav2Vec2FeatureConfig>;

/** The encoder's inputs for one audio: `input_values` `[1, samples]`, and the mask when the config asks. */
export interface Wav2Vec2Features {
  inputValues: Float32Array;
  dims: [1, number];
  /** All ones `[1, samples]` (one unpadded input); only when `return_attention_mask` is true. */
  attentionMask?: BigInt64Array;
}

/**
 * A wav2vec2-style extractor for one config, as transformers' Wav2Vec2FeatureExtractor computes
 * `input_values`: with `do_normalize`, (x - mean) / sqrt(variance + 1e-7) over the input.
 *
 * @example
 * const { inputValues, dims } = wav2vec2FeatureExtractor(config)(pcm16k);
 */
export function wav2vec2FeatureExtractor(config: unknown): (pcm: Float32Array) => Wav2Vec2Features {
  const parsed = Wav2Vec2FeatureConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `preprocessor_config.json ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (Wav2Vec2FeatureExtractor)`,
    );
  }
  const { do_normalize: normalize = true, return_attention_mask: withMask = false } = parsed.data;
  return (pcm) => {
    if (pcm.length === 0) throw new InvalidInputError('The audio has no samples; pass at least one sample');
    let inputValues = pcm;
    if (normalize) {
      // Indexed loops: Float32Array.from(pcm, fn) and for...of go through the iterator protocol,
      // which made this a third of a tiny CTC model's call.
      const length = pcm.length;
      let sum = 0;
      for (let i = 0; i < length; i++) sum += pcm[i]!;
      const mean = sum / length;
      let squares = 0;
      for (let i = 0; i < length; i++) squares += (pcm[i]! - mean) ** 2;
      const scale = 1 / Math.sqrt(squares / length + 1e-7);
      inputValues = new Float32Array(length);
      for (let i = 0; i < length; i++) inputValues[i] = (pcm[i]! - mean) * scale;
    }
    const features: Wav2Vec2Features = { inputValues, dims: [1, pcm.length] };
    if (withMask) features.attentionMask = new BigInt64Array(pcm.length).fill(1n);
    return features;
  };
}
