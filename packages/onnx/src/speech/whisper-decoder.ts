import { ModelLoadError, throwIfAborted } from '@mlkit/core';
import { numberOf } from '../config-values.ts';
import type { OrtTensor } from '../ort.ts';
import { describeValue, type Session } from '../session.ts';
import { floatSlice } from '../tensors.ts';

type Json = Record<string, unknown>;

/** Optimum's names for the decoder's cache: self-attention (`decoder`) and cross-attention (`encoder`). */
const PAST = /^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$/;
const DECODER_INPUTS = new Set(['input_ids', 'encoder_hidden_states', 'use_cache_branch']);

interface CacheSlot {
  input: string;
  output: string;
  /** Cross-attention KV: computed from the audio at the first step, then the same for the window. */
  cross: boolean;
  type: string;
  heads: number;
  headDim: number;
}

/** One window's decoding: the next token's logits after the tokens so far, step by step. */
export interface WhisperDecoding {
  /** Logits of the token after `ids` (the whole sequence so far; with a cache only the newest is fed). */
  next(ids: readonly number[], signal: AbortSignal | undefined): Promise<Float32Array>;
}

/**
 * Whisper's two graphs as Optimum exports them: `encoder_model.onnx` (input_features ->
 * last_hidden_state) and `decoder_model_merged.onnx` (input_ids, encoder_hidden_states,
 * past_key_values.N.{decoder,encoder}.{key,value}, use_cache_branch -> logits, present.N...). The first
 * step runs the no-cache branch on empty caches and keeps the cross-attention KV it returns; later steps
 * feed one token with the self-attention KV of the step before. A decoder without cache inputs
 * (`decoder_model.onnx`) re-reads the whole sequence each step.
 */
export function whisperDecoder(encoder: Session, decoder: Session, config: Json, label: string) {
  const found = (session: Session) =>
    `inputs ${[...session.inputs.values()].map(describeValue).join(', ')}; outputs ${[...session.outputs.values()].map(describeValue).join(', ')}`;
  if (!encoder.inputs.has('input_features') || encoder.outputs.size === 0) {
    throw new ModelLoadError(
      `${label}: the Whisper encoder needs an input_features input; found ${found(encoder)}`,
    );
  }
  const encoderOutput = encoder.outputs.has('last_hidden_state')
    ? 'last_hidden_state'
    : encoder.outputNames[0]!;
  if (
    !decoder.inputs.has('input_ids') ||
    !decoder.inputs.has('encoder_hidden_states') ||
    !decoder.outputs.has('logits')
  ) {
    throw new ModelLoadError(
      `${label}: the Whisper decoder needs input_ids and encoder_hidden_states inputs and a logits output; found ${found(decoder)}`,
    );
  }
  const unfed = [...decoder.inputs.keys()].filter((name) => !DECODER_INPUTS.has(name) && !PAST.test(name));
  if (unfed.length > 0) {
    throw new ModelLoadError(
      `${label}: the Whisper decoder takes inputs this task cannot feed: ${unfed.join(', ')}`,
    );
  }
  const heads = numberOf(config.decoder_attention_heads, config.num_attention_heads);
  const hidden = numberOf(config.d_model, config.hidden_size);
  const slots: CacheSlot[] = [];
  for (const info of decoder.inputs.values()) {
    const match = PAST.exec(info.name);
    if (!match) continue;
    const output = `present.${match[1]}.${match[2]}.${match[3]}`;
    if (!decoder.outputs.has(output)) {
      throw new ModelLoadError(
        `${label}: the decoder takes ${info.name} but has no ${output} output; found ${found(decoder)}`,
      );
    }
    const slotHeads = numberOf(info.shape?.[1], heads);
    const headDim = numberOf(info.shape?.[3], hidden !== undefined && heads ? hidden / heads : undefined);
    if (slotHeads === undefined || headDim === undefined) {
      throw new ModelLoadError(
        `${label}: cannot tell the shape of ${describeValue(info)}; config.json needs decoder_attention_heads and d_model`,
      );
    }
    slots.push({
      input: info.name,
      output,
      cross: match[2] === 'encoder',
      type: info.type ?? 'float32',
      heads: slotHeads,
      headDim,
    });
  }
  const useCache = slots.length > 0;
  const branch = decoder.inputs.has('use_cache_branch');
  const fetches = ['logits', ...slots.map((slot) => slot.output)];
  const { ort } = decoder;

  const ids = (values: readonly number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);

  /** Encode one window's features; each `decoding()` of it then decodes token by token with its own cache. */
  async function encode(features: Float32Array, dims: readonly number[], signal: AbortSignal | undefined) {
    throwIfAborted(signal);
    const encoded = await encoder.run(
      { input_features: new ort.Tensor('float32', features, [...dims]) },
      [encoderOutput],
      signal,
    );
    const hiddenStates = encoded[encoderOutput]!;
    return { decoding: (): WhisperDecoding => decodingOf(hiddenStates) };
  }

  function decodingOf(hiddenStates: OrtTensor): WhisperDecoding {
    let previous: Record<string, OrtTensor> | undefined;
    let cross: Record<string, OrtTensor> | undefined;
    return {
      async next(sequence, signal) {
        throwIfAborted(signal);
        const feeds: Record<string, OrtTensor> = { encoder_hidden_states: hiddenStates };
        const cached = useCache && previous !== undefined;
        feeds.input_ids = cached ? ids(sequence.slice(-1)) : ids(sequence);
        for (const slot of slots) {
          if (!cached) {
            const empty = slot.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
            feeds[slot.input] = new ort.Tensor(slot.type, empty, [1, slot.heads, 0, slot.headDim]);
          } else {
            feeds[slot.input] = slot.cross ? cross![slot.output]! : previous![slot.output]!;
          }
        }
        if (branch) feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([cached ? 1 : 0]), [1]);
        const outputs = await decoder.run(feeds, fetches, signal);
        if (useCache) {
          previous = outputs;
          // The no-cache branch computed the cross-attention KV; the cache branch only passes it on.
          cross ??= outputs;
        }
        const logits = outputs.logits!;
        const vocab = logits.dims[logits.dims.length - 1]!;
        const rows = logits.data.length / vocab;
        return Float32Array.from(floatSlice(logits, (rows - 1) * vocab, vocab));
      },
    };
  }

  return { encode };
}
