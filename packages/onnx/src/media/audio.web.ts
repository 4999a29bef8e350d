import { type AudioDecoder, type DecodeAudioOptions, type DecodedAudio, decodeAudioWith } from './audio.ts';
import { decodeWav, sniffAudioFormat, undecodableAudio } from './audio-wav.ts';

const ACCEPTED = "WAV, and what this browser's decodeAudioData reads (MP3, AAC/M4A, Ogg, FLAC, WebM, ...)";

// The rate decodeAudioData decodes at when the caller asks for none (it always resamples to its context's).
const DEFAULT_DECODE_RATE = 48_000;

/**
 * WAV through the same parser as Node (exact samples at the file's own rate); everything else
 * through `OfflineAudioContext.decodeAudioData` at the rate asked for, which is how transformers.js's
 * `read_audio` decodes and resamples in browsers.
 */
const webAudioDecoder: AudioDecoder = {
  accepted: ACCEPTED,
  async decode(bytes, sampleRate) {
    if (sniffAudioFormat(bytes) === 'WAV') return decodeWav(bytes);
    if (typeof OfflineAudioContext === 'undefined')
      throw undecodableAudio(bytes, 'WAV', new Error('this runtime has no OfflineAudioContext'));
    const context = new OfflineAudioContext(1, 1, sampleRate ?? DEFAULT_DECODE_RATE);
    let buffer: AudioBuffer;
    try {
      // decodeAudioData detaches the buffer it is given: hand it a copy, not the caller's bytes.
      buffer = await context.decodeAudioData(bytes.slice().buffer);
    } catch (error) {
      throw undecodableAudio(bytes, ACCEPTED, error);
    }
    const channels = buffer.numberOfChannels;
    const pcm = new Float32Array(buffer.length * channels);
    for (let channel = 0; channel < channels; channel++) {
      const data = buffer.getChannelData(channel);
      for (let frame = 0; frame < buffer.length; frame++)
        pcm[frame * channels + channel] = data[frame] as number;
    }
    return { pcm, sampleRate: buffer.sampleRate, channels };
  },
};

/** Decode one audio input to mono PCM in a browser: encoded bytes, a URL or Blob of them, or PCM. */
export function decodeAudio(
  source: Parameters<typeof decodeAudioWith>[1],
  options?: DecodeAudioOptions,
): Promise<DecodedAudio> {
  return decodeAudioWith(webAudioDecoder, source, options);
}
