// Mel filter banks as transformers' `audio_utils.mel_filter_bank` builds them (HTK or Slaney scale,
// optional Slaney area normalisation), for configs that do not carry `mel_filters` themselves.

function hertzToMel(hertz: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hertz / 700);
  // Slaney: linear below 1 kHz, logarithmic above.
  return hertz >= 1000 ? 15 + Math.log(hertz / 1000) * (27 / Math.log(6.4)) : (3 * hertz) / 200;
}

function melToHertz(mel: number, scale: 'htk' | 'slaney'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  return mel >= 15 ? 1000 * Math.exp((Math.log(6.4) / 27) * (mel - 15)) : (200 * mel) / 3;
}

/** Options of `melFilterBank`, named as transformers' `mel_filter_bank` arguments. */
export interface MelFilterBankOptions {
  frequencyBins: number;
  melFilters: number;
  minFrequency: number;
  maxFrequency: number;
  samplingRate: number;
  norm?: 'slaney' | undefined;
  melScale?: 'htk' | 'slaney';
}

/** Triangular mel filters, one row of `frequencyBins` weights per filter: shape `[melFilters][frequencyBins]`. */
export function melFilterBank(options: MelFilterBankOptions): Float64Array[] {
  const { frequencyBins, melFilters, minFrequency, maxFrequency, samplingRate } = options;
  const scale = options.melScale ?? 'htk';
  const melMin = hertzToMel(minFrequency, scale);
  const melMax = hertzToMel(maxFrequency, scale);
  const edges = Array.from({ length: melFilters + 2 }, (_, i) =>
    melToHertz(melMin + ((melMax - melMin) * i) / (melFilters + 1), scale),
  );
  // FFT bin frequencies: linspace(0, sampling_rate // 2, frequency_bins), as transformers has it.
  const nyquist = Math.floor(samplingRate / 2);
  const bins = Array.from({ length: frequencyBins }, (_, j) => (nyquist * j) / (frequencyBins - 1));
  return Array.from({ length: melFilters }, (_, i) => {
    const lower = edges[i] as number;
    const center = edges[i + 1] as number;
    const upper = edges[i + 2] as number;
    const area = options.norm === 'slaney' ? 2 / (upper - lower) : 1;
    return Float64Array.from(bins, (hertz) => {
      const down = (hertz - lower) / (center - lower);
      const up = (upper - hertz) / (upper - center);
      return Math.max(0, Math.min(down, up)) * area;
    });
  });
}
