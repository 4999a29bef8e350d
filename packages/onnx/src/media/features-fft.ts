import FFT from 'fft.js';

/** Power spectrum `|X[k]|^2`, k = 0..size/2, of one real frame of `size` samples. */
export type PowerSpectrum = (frame: Float64Array, out: Float64Array) => void;

/**
 * The power spectrum of real frames of any length, on fft.js's radix-4 transform. fft.js takes
 * powers of two only; other lengths (Whisper's n_fft 400) go through Bluestein's chirp-z identity,
 * X[k] = conj(w[k]) * sum_n (x[n] conj(w[n])) w[k-n] with w[n] = exp(i pi n^2 / N), the convolution
 * done by fft.js at the next power of two >= 2N - 1 (what transformers.js's own FFT does too).
 */
export function powerSpectrum(size: number): PowerSpectrum {
  const bins = Math.floor(size / 2) + 1;
  if ((size & (size - 1)) === 0 && size >= 4) {
    const fft = new FFT(size);
    const spectrum = fft.createComplexArray() as number[];
    return (frame, out) => {
      fft.realTransform(spectrum, frame);
      for (let k = 0; k < bins; k++)
        out[k] = (spectrum[2 * k] as number) ** 2 + (spectrum[2 * k + 1] as number) ** 2;
    };
  }
  let padded = 4;
  while (padded < 2 * size - 1) padded *= 2;
  const fft = new FFT(padded);
  // The chirp w[n] = exp(i pi n^2 / N); n^2 mod 2N keeps the angle exact for large n.
  const chirpRe = new Float64Array(size);
  const chirpIm = new Float64Array(size);
  for (let n = 0; n < size; n++) {
    const angle = (Math.PI * ((n * n) % (2 * size))) / size;
    chirpRe[n] = Math.cos(angle);
    chirpIm[n] = Math.sin(angle);
  }
  // FFT of the filter w[m] for m in (-N, N), wrapped around the padded length.
  const filter = fft.createComplexArray() as number[];
  filter.fill(0);
  for (let n = 0; n < size; n++) {
    filter[2 * n] = chirpRe[n] as number;
    filter[2 * n + 1] = chirpIm[n] as number;
    if (n > 0) {
      filter[2 * (padded - n)] = chirpRe[n] as number;
      filter[2 * (padded - n) + 1] = chirpIm[n] as number;
    }
  }
  const filterSpectrum = fft.createComplexArray() as number[];
  fft.transform(filterSpectrum, filter);
  const input = fft.createComplexArray() as number[];
  const work = fft.createComplexArray() as number[];
  const result = fft.createComplexArray() as number[];
  return (frame, out) => {
    input.fill(0);
    for (let n = 0; n < size; n++) {
      // x[n] * conj(w[n]) for real x.
      input[2 * n] = (frame[n] as number) * (chirpRe[n] as number);
      input[2 * n + 1] = -(frame[n] as number) * (chirpIm[n] as number);
    }
    fft.transform(work, input);
    for (let k = 0; k < padded; k++) {
      const re = work[2 * k] as number;
      const im = work[2 * k + 1] as number;
      const filterRe = filterSpectrum[2 * k] as number;
      const filterIm = filterSpectrum[2 * k + 1] as number;
      work[2 * k] = re * filterRe - im * filterIm;
      work[2 * k + 1] = re * filterIm + im * filterRe;
    }
    fft.inverseTransform(result, work);
    // |conj(w[k]) * y[k]| = |y[k]|: the final chirp does not change the power.
    for (let k = 0; k < bins; k++)
      out[k] = (result[2 * k] as number) ** 2 + (result[2 * k + 1] as number) ** 2;
  };
}
