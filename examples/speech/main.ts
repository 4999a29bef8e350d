/**
 * Speech both ways, one code path hosted or local: transcribe a WAV with timestamps, stream its
 * text as it is recognised, then speak the transcript back and save it as a WAV.
 *
 *   MLKIT_STT_MODEL=openai:whisper-1 MLKIT_TTS_MODEL=openai:tts-1 MLKIT_TTS_VOICE=alloy OPENAI_API_KEY=sk-... \
 *     node examples/speech/main.ts hello.wav
 *   MLKIT_STT_MODEL=openai-compatible:whisper MLKIT_TTS_MODEL=openai-compatible:vits \
 *     MLKIT_BASE_URL=http://127.0.0.1:8000/v1 node examples/speech/main.ts hello.wav
 *   MLKIT_STT_MODEL=onnx:./models/whisper-tiny MLKIT_TTS_MODEL=onnx:./models/mms-tts-eng node examples/speech/main.ts hello.wav
 *
 * Arguments: the WAV to transcribe (default test/fixtures/media/hello-16k.wav, which
 * scripts/fixtures/export.py made with espeak-ng) and the folder to save the spoken WAVs in (default
 * the system's temporary folder). Any WAV will do; to make one on Debian or Ubuntu:
 *
 *   apt-get install espeak-ng sox
 *   espeak-ng -w hello.wav "hello world" && sox hello.wav -r 16000 hello-16k.wav
 *
 * (the resampling is optional: mlkit resamples to the model's rate itself).
 *
 * With MLKIT_STT_MODEL unset it runs `speech()` twice as a demo: "hosted" is @mlkit/server on
 * 127.0.0.1 serving the repository's tiny-whisper and tiny-vits folders behind its OpenAI-compatible
 * audio API and an API key, called over HTTP; "local" loads the same folders in-process. The
 * weights are random (tiny-whisper is nudged to say "hello world" for this file), so what both
 * guarantee is the shape, and that the same greedy decoder gives the same text on both sides. Each
 * run prints one `RESULT {...}` JSON line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  createModel,
  type Model,
  registerProvider,
  type SpeechToTextTask,
  type TextToSpeechTask,
  type TranscriptSegment,
} from '@mlkit/core';
import { loadModel, onnxProvider } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { fixturesDir, repoRoot } from '../../test/fixtures/paths.ts';

registerProvider(onnxProvider); // makes 'onnx:<folder>' resolvable by createModel()

/** The configuration the app reads: environment variables, or the demo's stand-ins for them. */
interface SpeechConfig {
  /** 'scheme:id' of the speech-to-text model, e.g. 'openai:whisper-1' or 'onnx:./models/whisper-tiny'. */
  MLKIT_STT_MODEL?: string | undefined;
  /** 'scheme:id' of the text-to-speech model, e.g. 'openai:tts-1' or 'onnx:./models/mms-tts-eng'. */
  MLKIT_TTS_MODEL?: string | undefined;
  /** A voice for the text-to-speech model ('alloy' for OpenAI, which requires one). */
  MLKIT_TTS_VOICE?: string | undefined;
  /**
   * 'true' when an OpenAI-compatible server streams `transcript.text.delta` events (mlkit's server
   * does, whisper-1 does not); local models say so themselves.
   */
  MLKIT_STT_STREAMING?: string | undefined;
  /** Server URL for 'openai-compatible:' (and an OpenAI proxy for 'openai:'). */
  MLKIT_BASE_URL?: string | undefined;
  /** API key for the server; 'openai:' also reads OPENAI_API_KEY. */
  MLKIT_API_KEY?: string | undefined;
}

/** What one configuration produced: the same shape whichever backend ran. */
interface SpeechResult {
  config: string;
  models: { speechToText: string; textToSpeech: string };
  /** The timed transcription. */
  transcript: { text: string; language: string | null; segments: TranscriptSegment[] };
  /** The untimed transcription, as streamed: `deltas` is how many pieces it came in. */
  stream: { streaming: boolean; deltas: number; text: string };
  /** The transcript spoken back, saved as `file`; `sha256` of its bytes. */
  speech: {
    text: string;
    file: string;
    mediaType: string;
    sampleRate: number | null;
    bytes: number;
    sha256: string;
  };
}

/**
 * The application code. Nothing in it knows whether the models are hosted or self-run: the model
 * specs and the provider options come from the configuration.
 */
async function speech(
  label: string,
  config: SpeechConfig,
  audioFile: string,
  outputDir: string,
): Promise<SpeechResult> {
  const connection = {
    ...(config.MLKIT_BASE_URL ? { baseURL: config.MLKIT_BASE_URL } : {}),
    ...(config.MLKIT_API_KEY ? { apiKey: config.MLKIT_API_KEY } : {}),
  };
  const sttSpec = config.MLKIT_STT_MODEL ?? 'openai:whisper-1';
  const ttsSpec = config.MLKIT_TTS_MODEL ?? 'openai:tts-1';
  const audio = readFileSync(audioFile);

  const transcriber: Model<SpeechToTextTask> = await createModel(sttSpec, {
    task: 'speech-to-text',
    ...connection,
    ...(config.MLKIT_STT_STREAMING ? { streaming: config.MLKIT_STT_STREAMING === 'true' } : {}),
  });
  let transcript: SpeechResult['transcript'];
  let stream: SpeechResult['stream'];
  try {
    // (a) The transcript with timed segments (verbose_json on OpenAI's API).
    const timed = await transcriber.run({ audio, timestamps: true });
    const segments = timed.segments ?? [];
    transcript = { text: timed.text, language: timed.language ?? null, segments };
    say(label, `transcript ${JSON.stringify(timed.text)}, language ${timed.language ?? 'not reported'}`);
    for (const { start, end, text } of segments) {
      say(label, `  segment ${start.toFixed(2)}s-${end.toFixed(2)}s ${JSON.stringify(text)}`);
    }

    // (b) The same audio streamed: text arrives as it is recognised where the model streams, and as
    // one piece where it does not (OpenAI streams neither whisper-1 nor timed segments).
    let text = '';
    let deltas = 0;
    for await (const chunk of transcriber.stream({ audio })) {
      if (chunk.type === 'text-delta') {
        deltas += 1;
        text += chunk.text;
        say(label, `  delta ${JSON.stringify(chunk.text)}`);
      }
    }
    stream = { streaming: transcriber.capabilities.streaming, deltas, text };
    say(label, `streamed   ${JSON.stringify(text)} in ${deltas} delta(s)`);
  } finally {
    await transcriber.dispose();
  }

  // (c) Speak the transcript back.
  const spoken = transcript.text.trim() || stream.text.trim();
  if (spoken === '') {
    throw new Error(`${audioFile}: ${sttSpec} recognised no words, so there is nothing to speak back`);
  }
  const speaker: Model<TextToSpeechTask> = await createModel(ttsSpec, {
    task: 'text-to-speech',
    ...connection,
    ...(config.MLKIT_TTS_VOICE ? { voice: config.MLKIT_TTS_VOICE } : {}),
  });
  try {
    const voiced = await speaker.run({ text: spoken, format: 'wav' });
    mkdirSync(outputDir, { recursive: true });
    const file = join(outputDir, `${label}.wav`);
    writeFileSync(file, voiced.audio);
    say(
      label,
      `spoken     ${JSON.stringify(spoken)} -> ${file} (${voiced.mediaType}, ${voiced.sampleRate ?? '?'} Hz, ${voiced.audio.byteLength} bytes)`,
    );
    return {
      config: label,
      models: { speechToText: sttSpec, textToSpeech: ttsSpec },
      transcript,
      stream,
      speech: {
        text: spoken,
        file,
        mediaType: voiced.mediaType,
        sampleRate: voiced.sampleRate ?? null,
        bytes: voiced.audio.byteLength,
        sha256: createHash('sha256').update(voiced.audio).digest('hex'),
      },
    };
  } finally {
    await speaker.dispose();
  }
}

function say(label: string, line: string): void {
  console.log(`[${label}] ${line}`);
}

function printConfig(label: string, config: SpeechConfig): void {
  say(label, `MLKIT_STT_MODEL=${config.MLKIT_STT_MODEL ?? '(unset: openai:whisper-1)'}`);
  say(label, `MLKIT_TTS_MODEL=${config.MLKIT_TTS_MODEL ?? '(unset: openai:tts-1)'}`);
  say(label, `MLKIT_STT_STREAMING=${config.MLKIT_STT_STREAMING ?? '(unset)'}`);
  say(label, `MLKIT_BASE_URL=${config.MLKIT_BASE_URL ?? '(unset)'}`);
  say(label, `MLKIT_API_KEY=${config.MLKIT_API_KEY ? '(set, not shown)' : '(unset)'}`);
}

/** A model folder as an 'onnx:' spec, relative to the working directory when it lies under it. */
function onnxSpec(folder: string): string {
  const path = relative(process.cwd(), folder);
  return `onnx:${path.startsWith('..') || isAbsolute(path) ? folder : `./${path}`}`;
}

async function demo(audioFile: string, outputDir: string): Promise<void> {
  const whisper = join(fixturesDir, 'tiny-whisper');
  const vits = join(fixturesDir, 'tiny-vits');

  // The "hosted" side: both folders behind @mlkit/server's OpenAI-compatible audio routes.
  const apiKey = `sk-demo-${randomBytes(16).toString('hex')}`;
  const server = createServer({
    models: {
      'tiny-whisper': await loadModel(whisper, { task: 'speech-to-text' }),
      'tiny-vits': await loadModel(vits, { task: 'text-to-speech' }),
    },
    apiKeys: [apiKey],
  });
  const listening = await listen(server, { port: 0, host: '127.0.0.1' });
  console.log('MLKIT_STT_MODEL is unset: running speech() under two configurations.');
  console.log(
    `hosted = @mlkit/server on ${listening.url} (/v1/audio/transcriptions and /v1/audio/speech, API key required)`,
  );
  console.log('local  = the same fixture folders in this process with onnxruntime-node');
  console.log(`audio  = ${relative(process.cwd(), audioFile) || audioFile}\n`);

  const configs: [string, SpeechConfig][] = [
    [
      'hosted',
      {
        MLKIT_STT_MODEL: 'openai-compatible:tiny-whisper',
        MLKIT_TTS_MODEL: 'openai-compatible:tiny-vits',
        MLKIT_STT_STREAMING: 'true',
        MLKIT_BASE_URL: `${listening.url}/v1`,
        MLKIT_API_KEY: apiKey,
      },
    ],
    ['local', { MLKIT_STT_MODEL: onnxSpec(whisper), MLKIT_TTS_MODEL: onnxSpec(vits) }],
  ];
  const results: SpeechResult[] = [];
  try {
    for (const [label, config] of configs) {
      printConfig(label, config);
      const result = await speech(label, config, audioFile, outputDir);
      results.push(result);
      console.log(`RESULT ${JSON.stringify(result)}\n`);
    }
  } finally {
    await listening.close({ graceMs: 1000 }); // also disposes the served models
  }

  const [hosted, local] = results as [SpeechResult, SpeechResult];
  const segmentsOf = (result: SpeechResult) =>
    result.transcript.segments.map((s) => `${s.start}-${s.end}s`).join(' ') || '(none)';
  const rows = [
    ['', 'hosted', 'local'],
    ['transcript', JSON.stringify(hosted.transcript.text), JSON.stringify(local.transcript.text)],
    ['segments', segmentsOf(hosted), segmentsOf(local)],
    ['streamed', JSON.stringify(hosted.stream.text), JSON.stringify(local.stream.text)],
    ['deltas', String(hosted.stream.deltas), String(local.stream.deltas)],
    ['spoken WAV', `${hosted.speech.sampleRate} Hz`, `${local.speech.sampleRate} Hz`],
  ];
  const width = (column: number) => Math.max(...rows.map((row) => row[column]!.length));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(width(i))).join('  '));
  const same =
    JSON.stringify([hosted.transcript, hosted.stream.text]) ===
    JSON.stringify([local.transcript, local.stream.text]);
  console.log(
    '\nBoth configurations ran the same function, speech(config); only the configuration strings differ.',
  );
  console.log(`greedy transcripts identical: ${same ? 'yes' : 'NO'}`);
  console.log(`spoken audio identical: ${hosted.speech.sha256 === local.speech.sha256 ? 'yes' : 'NO'}`);
}

const env = process.env;
const audioFile = resolve(process.argv[2] ?? join(repoRoot, 'test', 'fixtures', 'media', 'hello-16k.wav'));
const outputDir = resolve(process.argv[3] ?? join(tmpdir(), 'mlkit-speech'));
try {
  if (!existsSync(audioFile)) {
    throw new Error(`${audioFile} does not exist: pass the WAV to transcribe as the first argument`);
  }
  if (env.MLKIT_STT_MODEL) {
    const label = 'env';
    printConfig(label, env);
    console.log(`RESULT ${JSON.stringify(await speech(label, env, audioFile, outputDir))}`);
  } else {
    await demo(audioFile, outputDir);
  }
} catch (error) {
  console.error(
    `speech failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  );
  process.exitCode = 1;
}
