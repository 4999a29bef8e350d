import { type AudioDecoder, type DecodeAudioOptions, type DecodedAudio, decodeAudioWith } from './audio.ts';
import { decodeWav, sniffAudioFormat, undecodableAudio, WAV_FORMATS } from './audio-wav.ts';

const ACCEPTED = `${WAV_FORMATS} in Node`;

/** Node decodes WAV only: no well-kept pure-JS decoder covers MP3/FLAC/Ogg/M4A without native ffmpeg. */
const nodeAudioDecoder: AudioDecoder = {
  accepted: ACCEPTED,
  async decode(bytes) {
    const format = sniffAudioFormat(bytes);
    if (format !== undefined && format !== 'WAV')
      throw undecodableAudio(
        bytes,
        ACCEPTED,
        new Error(
          `${format} is decoded in browsers only; convert it to WAV (e.g. ffmpeg -i in -ar 16000 out.wav)`,
        ),
      );
    return decodeWav(bytes);
  },
};

/**
 * Decode one audio input to mono PCM in Node: WAV bytes, a URL or a Blob of them, or PCM.
 *
 * @example
 * const { pcm, sampleRate } = await decodeAudio(readFileSync('speech.wav'), { sampleRate: 16000 });
 */
export function decodeAudio(
  source: Parameters<typeof decodeAudioWith>[1],
  options?: DecodeAudioOptions,
): Promise<DecodedAudio> {
  return decodeAudioWith(nodeAudioDecoder, source, options);
}
