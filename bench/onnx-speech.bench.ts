// Speech-to-text speed as seconds of audio transcribed per second (1 / real-time factor) of @mlkit/onnx vs
// transformers.js `pipeline('automatic-speech-recognition')`, on the same folders (fixtures tiny-whisper and
// tiny-wav2vec2, exported by scripts/fixtures) and the same 16 kHz PCM samples (transformers.js in Node takes PCM,
// not files, so both sides get the decoded WAV). Both sides must give the same text first.
import { readFileSync } from 'node:fs';
import { type AutomaticSpeechRecognitionPipeline, env, pipeline } from '@huggingface/transformers';
import { loadModel } from '../packages/onnx/src/index.node.ts';
import { decodeAudio } from '../packages/onnx/src/media/audio.node.ts';
import { fixturesDir } from '../test/fixtures/paths.ts';
import { alternate, resultLine, type Side } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 50);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${fixturesDir}/`;

const wav = new Uint8Array(
  readFileSync(`${fixturesDir}/../media/${process.env.BENCH_WAV ?? 'hello-16k.wav'}`),
);
const { pcm, sampleRate } = await decodeAudio(wav);
if (sampleRate !== 16_000) throw new Error(`the bench WAV must be 16 kHz (got ${sampleRate})`);
const seconds = pcm.length / sampleRate;

async function compare(folder: string, bench: string) {
  const model = await loadModel(`${fixturesDir}/${folder}`, { task: 'speech-to-text', threads: THREADS });
  const recognizer = (await pipeline('automatic-speech-recognition', folder, {
    dtype: 'fp32',
    session_options: { intraOpNumThreads: THREADS },
  })) as AutomaticSpeechRecognitionPipeline;
  const ours = (await model.run({ audio: { pcm, sampleRate } })).text;
  const theirs = ((await recognizer(pcm)) as { text: string }).text;
  if (ours.trim() !== theirs.trim()) throw new Error(`${folder}: "${ours}" vs transformers.js "${theirs}"`);
  const oursSide: Side = {
    name: '@mlkit/onnx',
    step: async () => {
      await model.run({ audio: { pcm, sampleRate } });
      return seconds;
    },
  };
  const peerSide: Side = {
    name: 'transformers.js',
    step: async () => {
      await recognizer(pcm);
      return seconds;
    },
  };
  const measured = await alternate(oursSide, peerSide, { rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: 1000 });
  await model.dispose();
  await recognizer.dispose();
  console.log(
    `${folder}: ${measured.ours.median.toFixed(1)} vs ${measured.peer.median.toFixed(1)} audio s/s (${seconds.toFixed(2)} s clip)`,
  );
  return resultLine(bench, measured.ours.median, measured.peer.median, 'audio s/s', 1.2);
}

const lines = [
  await compare('tiny-whisper', 'onnx.speech-to-text.whisper'),
  await compare('tiny-wav2vec2', 'onnx.speech-to-text.ctc'),
];
for (const line of lines) console.log(line);
