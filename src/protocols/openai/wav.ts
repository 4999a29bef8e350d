/**
 * The two pieces of WAV the OpenAI audio wire needs: PCM samples as a 16-bit WAV file to upload,
 * and the sample rate read back from a WAV header. Decoding WAV for inference is the local
 * runtime's (`@mlkit/onnx`'s media code), not this file's.
 */

const HEADER_BYTES = 44;

/** `pcm` (samples in [-1, 1], channels interleaved) as a 16-bit little-endian PCM WAV file. */
export function encodeWav16(pcm: Float32Array, sampleRate: number, channels = 1): Uint8Array<ArrayBuffer> {
  const dataBytes = pcm.length * 2;
  const bytes = new Uint8Array(HEADER_BYTES + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true); // byte rate
  view.setUint16(32, channels * 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < pcm.length; i++) {
    const sample = Math.max(-1, Math.min(1, pcm[i]!));
    view.setInt16(HEADER_BYTES + i * 2, Math.round(sample < 0 ? sample * 0x8000 : sample * 0x7fff), true);
  }
  return bytes;
}

/** True when `bytes` start as a RIFF/WAVE file. */
export function isWav(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 12 &&
    bytes[0] === 0x52 && // R
    bytes[1] === 0x49 && // I
    bytes[2] === 0x46 && // F
    bytes[3] === 0x46 && // F
    bytes[8] === 0x57 && // W
    bytes[9] === 0x41 && // A
    bytes[10] === 0x56 && // V
    bytes[11] === 0x45 // E
  );
}

/** The sample rate of a WAV file's `fmt ` chunk (chunks before it skipped); undefined when there is none. */
export function wavSampleRate(bytes: Uint8Array): number | undefined {
  if (!isWav(bytes)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(
      bytes[offset]!,
      bytes[offset + 1]!,
      bytes[offset + 2]!,
      bytes[offset + 3]!,
    );
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      if (offset + 16 > bytes.length) return undefined;
      const rate = view.getUint32(offset + 12, true);
      return rate > 0 ? rate : undefined;
    }
    // Chunks are padded to an even size.
    offset += 8 + size + (size % 2);
  }
  return undefined;
}
