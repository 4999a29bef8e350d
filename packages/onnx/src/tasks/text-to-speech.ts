import {
  ModelLoadError,
  type TextToSpeechTask,
  textToSpeech,
  throwIfAborted,
  UnsupportedError,
  type Usage,
} from '@mlkit/core';
import { encodeWav } from '../media/audio-wav.ts';
import { describeValue, requireFeedableInputs } from '../session.ts';
import { vitsTokenizer } from '../speech/vits.ts';
import { floatSlice } from '../tensors.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

/** Raw 16-bit little-endian samples, OpenAI's `pcm` response format. */
function pcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(i * 2, Math.max(-32768, Math.min(32767, Math.round(value * 32768))), true);
  }
  return out;
}

/**
 * The `text-to-speech` task on a VITS export (MMS-TTS; transformers.js's text-to-waveform models):
 * `input_ids` (and `attention_mask`) from the VitsTokenizer -> `waveform` [1, samples] at
 * config.json `sampling_rate`, returned as WAV (16-bit PCM) or raw 16-bit `pcm`. The speaking rate
 * and noise are fixed in the exported graph, and a single-speaker model has no voices, so `speed`
 * and `voice` are refused rather than ignored.
 */
export function textToSpeechTask({
  session,
  folder,
  label,
  device,
}: TaskContext): TaskRunner<TextToSpeechTask> {
  const found = () =>
    `inputs ${[...session.inputs.values()].map(describeValue).join(', ')}; outputs ${[...session.outputs.values()].map(describeValue).join(', ')}`;
  if (!session.inputs.has('input_ids') || !session.outputs.has('waveform')) {
    throw new ModelLoadError(
      `${label}: text-to-speech needs an input_ids input and a waveform output (VITS); found ${found()}`,
    );
  }
  requireFeedableInputs(
    session,
    label,
    'text-to-speech',
    (name) => name === 'input_ids' || name === 'attention_mask',
  );
  const sampleRate = folder.config?.sampling_rate;
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < 1) {
    throw new ModelLoadError(`${label}: config.json needs sampling_rate (the waveform's samples per second)`);
  }
  const encode = vitsTokenizer(folder, label);
  const { ort } = session;
  return {
    task: textToSpeech,
    capabilities: {
      streaming: false,
      batching: false,
      logitAdjustments: false,
      tools: false,
      jsonSchema: false,
      images: false,
      voices: [],
    },
    async run(input, { signal }) {
      if (input.voice !== undefined)
        throw new UnsupportedError(`${label} has one speaker and no named voices; leave out voice`, {
          param: 'voice',
        });
      if (input.speed !== undefined && input.speed !== 1)
        throw new UnsupportedError(
          `${label}: the speaking rate is fixed in the exported VITS graph (config.json speaking_rate); leave out speed`,
          { param: 'speed' },
        );
      if (input.format !== 'wav' && input.format !== 'pcm')
        throw new UnsupportedError(
          `${label} writes wav or pcm audio locally (got format "${input.format}"); ask for wav`,
          {
            param: 'format',
          },
        );
      const started = performance.now();
      const ids = encode(input.text);
      throwIfAborted(signal);
      const dims = [1, ids.length];
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), dims),
        ...(session.inputs.has('attention_mask') && {
          attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims),
        }),
      };
      const outputs = await session.run(feeds, ['waveform'], signal);
      const waveform = outputs.waveform!;
      const samples = floatSlice(waveform, 0, waveform.data.length);
      const usage: Usage = { inputTokens: ids.length, durationMs: performance.now() - started, device };
      return input.format === 'pcm'
        ? { audio: pcm16(samples), mediaType: 'audio/pcm', sampleRate, usage }
        : { audio: encodeWav(samples, sampleRate), mediaType: 'audio/wav', sampleRate, usage };
    },
  };
}

/** The text-to-speech task's local runner (VITS). */
export const textToSpeechRunner: LocalRunner<TextToSpeechTask> = {
  needs: () => ({ tokenizer: true, json: ['vocab.json'] }),
  build: textToSpeechTask,
};
