// What audio-browser.test.ts bundles for the page: the browser decoder and the resampler.
export { decodeAudio } from '../../src/media/audio.web.ts';
export { resample } from '../../src/media/audio-resample.ts';
