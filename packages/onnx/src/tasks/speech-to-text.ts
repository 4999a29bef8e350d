import {
  InvalidInputError,
  ModelLoadError,
  type ParsedInputOf,
  type SpeechToTextChunk,
  type SpeechToTextTask,
  speechToText,
  type TranscriptSegment,
  throwIfAborted,
  UnsupportedError,
  type Usage,
} from '@mlkit/core';
import { IncrementalDecoder } from '../generation/detokenizer.ts';
import { argmax } from '../generation/sampling.ts';
import { wav2vec2FeatureExtractor } from '../media/features-wav2vec2.ts';
import { parseWhisperFeatureConfig, whisperWindows } from '../media/features-whisper.ts';
import type { OrtTensor } from '../ort.ts';
import { describeValue, requireFeedableInputs } from '../session.ts';
import { argmaxFrames, ctcDecode, ctcVocabulary } from '../speech/ctc.ts';
import { whisperDecoder } from '../speech/whisper-decoder.ts';
import { checkLanguage, whisperGenerationSettings, whisperPrompt } from '../speech/whisper-prompt.ts';
import { applyTimestampRules, timedPieces } from '../speech/whisper-timestamps.ts';
import { floatSlice } from '../tensors.ts';
import { loadTokenizer } from '../tokenizer.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

type Input = ParsedInputOf<SpeechToTextTask>;
type Json = Record<string, unknown>;

/** What one transcription produced, for `run()` (the stream yields the same as chunks). */
interface Transcript {
  text: string;
  segments: TranscriptSegment[];
}

/**
 * The platform's audio decoder, at the model's sample rate; its InvalidInputError (not audio, empty,
 * too large) names `input.audio`, the field to fix.
 */
function decoderOf(
  context: TaskContext,
): (audio: Input['audio'], sampleRate: number, signal?: AbortSignal) => Promise<Float32Array> {
  const decode = context.decodeAudio;
  if (!decode) throw new Error('unreachable: the loader gives speech tasks an audio decoder');
  return async (audio, sampleRate, signal) => {
    try {
      return (await decode(audio, { sampleRate, ...(signal && { signal }) })).pcm;
    } catch (error) {
      if (!(error instanceof InvalidInputError) || error.message.startsWith('Invalid input')) throw error;
      const message = `input.audio: ${error.message}`;
      throw new InvalidInputError(`Invalid input — ${message}`, {
        issues: [{ path: 'input.audio', message: error.message }],
        cause: error,
      });
    }
  };
}

/** A preprocessor config the task needs, or a ModelLoadError saying which file is missing or wrong. */
function preprocessorOf(context: TaskContext, kind: string): Json {
  const config = context.folder.preprocessorConfig;
  if (!config) {
    const why = context.folder.missing?.['preprocessor_config.json'];
    throw new ModelLoadError(
      `${context.label}: a ${kind} model needs preprocessor_config.json (its feature extractor's settings) beside config.json${why ? ` — ${why}` : ''}`,
    );
  }
  return config;
}

/** Turn a bad preprocessor config (an InvalidInputError of the feature code) into a load error. */
function atLoad<T>(label: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new ModelLoadError(`${label}: ${error.message}`, { cause: error });
    throw error;
  }
}

function unsupported(param: string, message: string): UnsupportedError {
  return new UnsupportedError(message, { param });
}

/**
 * Connectionist temporal classification (wav2vec2, HuBERT, ...): `input_values` -> `logits` [1, frames,
 * vocabulary], the best token per frame, collapsed as Wav2Vec2CTCTokenizer decodes it. The model has
 * one alphabet and no task tokens: `language` is not needed, `translate` and `timestamps` are refused.
 */
function ctcTask(context: TaskContext): TaskRunner<SpeechToTextTask> {
  const { session, folder, label, device } = context;
  const found = () =>
    `inputs ${[...session.inputs.values()].map(describeValue).join(', ')}; outputs ${[...session.outputs.values()].map(describeValue).join(', ')}`;
  if (!session.inputs.has('input_values') || !session.outputs.has('logits')) {
    throw new ModelLoadError(
      `${label}: a CTC speech model needs an input_values input and a logits output; found ${found()}`,
    );
  }
  requireFeedableInputs(
    session,
    label,
    'speech-to-text',
    (name) => name === 'input_values' || name === 'attention_mask',
  );
  const preprocessor = preprocessorOf(context, 'CTC speech');
  const extract = atLoad(label, () => wav2vec2FeatureExtractor(preprocessor));
  const sampleRate = preprocessor.sampling_rate as number;
  const vocabulary = ctcVocabulary(folder, label);
  const decodeAudio = decoderOf(context);
  const { ort } = session;

  async function* transcribe(input: Input, signal: AbortSignal | undefined, result: Transcript) {
    if (input.translate)
      throw unsupported(
        'translate',
        `${label} is a CTC model: it transcribes, it cannot translate; leave out translate`,
      );
    if (input.timestamps)
      throw unsupported(
        'timestamps',
        `${label} is a CTC model and gives no segment times here; leave out timestamps or use a Whisper model`,
      );
    const started = performance.now();
    const pcm = await decodeAudio(input.audio, sampleRate, signal);
    throwIfAborted(signal);
    const features = extract(pcm);
    const feeds: Record<string, OrtTensor> = {
      input_values: new ort.Tensor('float32', features.inputValues, features.dims),
    };
    if (session.inputs.has('attention_mask'))
      feeds.attention_mask = new ort.Tensor(
        'int64',
        features.attentionMask ?? new BigInt64Array(pcm.length).fill(1n),
        features.dims,
      );
    const outputs = await session.run(feeds, ['logits'], signal);
    const logits = outputs.logits!;
    const classes = logits.dims[logits.dims.length - 1]!;
    const frames = logits.data.length / classes;
    const ids = argmaxFrames(floatSlice(logits, 0, frames * classes), frames, classes);
    result.text = ctcDecode(ids, vocabulary);
    if (result.text) yield { type: 'text-delta', text: result.text } satisfies SpeechToTextChunk;
    const usage: Usage = { outputTokens: frames, durationMs: performance.now() - started, device };
    yield { type: 'finish', usage } satisfies SpeechToTextChunk;
  }
  return runnerOf(transcribe, { streaming: false });
}

/**
 * Whisper: log-mel windows of 30 s, each encoded once and decoded greedily token by token (see
 * speech/whisper-decoder.ts) from the prompt transformers builds; text streams as tokens complete
 * characters, and with `timestamps` each timed segment as its closing timestamp is decoded. Audio
 * longer than one window is cut into consecutive windows, each decoded on its own, segment times
 * offset by where the window starts.
 */
async function whisperTask(context: TaskContext): Promise<TaskRunner<SpeechToTextTask>> {
  const { session: decoderSession, folder, label, device } = context;
  const config: Json = folder.config ?? {};
  const preprocessor = preprocessorOf(context, 'Whisper');
  const features = atLoad(label, () => parseWhisperFeatureConfig(preprocessor));
  const tokenizer = loadTokenizer(folder, label);
  const settings = whisperGenerationSettings(folder.generationConfig ?? {}, config, tokenizer.idOf, label);
  if (!context.openSession) throw new Error('unreachable: the loader opens further sessions');
  const encoderFile = context.modelFile?.replace(/decoder_model(_merged)?(?=[^/]*\.onnx$)/, 'encoder_model');
  if (!encoderFile || encoderFile === context.modelFile) {
    throw new ModelLoadError(
      `${label}: a Whisper model is two files, onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx (Optimum's layout); load its folder${context.modelFile ? ` (got the model file ${context.modelFile})` : ''}`,
    );
  }
  const encoder = await context.openSession(encoderFile);
  const decoder = whisperDecoder(encoder, decoderSession, config, label);
  const timestampBegin = settings.noTimestampsId === undefined ? undefined : settings.noTimestampsId + 1;
  const timePrecision = features.chunk_length / ((config.max_source_positions as number | undefined) ?? 1500);
  const decodeAudio = decoderOf(context);
  const decode = (ids: number[]) =>
    ids.length === 0 ? '' : tokenizer.tokenizer.decode(ids, { skip_special_tokens: true });
  const suppress = (logits: Float32Array, ids: readonly number[]) => {
    for (const id of ids) if (id < logits.length) logits[id] = Number.NEGATIVE_INFINITY;
  };

  /** The spoken language: the likeliest language token after <|startoftranscript|> (as transformers detects it). */
  async function detectLanguage(
    window: Awaited<ReturnType<typeof decoder.encode>>,
    signal: AbortSignal | undefined,
  ) {
    const logits = await window.decoding().next([settings.decoderStartId], signal);
    let best: string | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const [code, id] of settings.languageIds) {
      if (logits[id]! > bestScore) {
        bestScore = logits[id]!;
        best = code;
      }
    }
    return best;
  }

  async function* transcribe(
    input: Input,
    signal: AbortSignal | undefined,
    result: Transcript,
  ): AsyncGenerator<SpeechToTextChunk> {
    checkLanguage(settings, input.language, label);
    if (input.translate && (!settings.multilingual || !settings.taskIds.has('translate')))
      throw unsupported(
        'translate',
        `${label} is an English-only Whisper model and cannot translate; leave out translate`,
      );
    if (input.timestamps && timestampBegin === undefined)
      throw unsupported(
        'timestamps',
        `${label} has no timestamp tokens (no_timestamps_token_id); leave out timestamps`,
      );
    const started = performance.now();
    const pcm = await decodeAudio(input.audio, features.sampling_rate, signal);
    throwIfAborted(signal);
    const previousIds = input.prompt?.trim() ? tokenizer.encode(` ${input.prompt.trim()}`, false) : undefined;
    let language = input.language ?? (settings.multilingual ? undefined : 'en');
    let outputTokens = 0;
    let firstTokenAt: number | undefined;
    const windows = whisperWindows(pcm, preprocessor, { strideLengthSeconds: 0 });
    for (const [index, window] of windows.entries()) {
      const encoded = await decoder.encode(window.inputFeatures, window.dims, signal);
      language ??= await detectLanguage(encoded, signal);
      const prompt = whisperPrompt(settings, {
        language,
        translate: input.translate,
        timestamps: input.timestamps,
        // Only the first window, as transformers' default prompt_condition_type "first-segment".
        previousIds: index === 0 ? previousIds : undefined,
      });
      const steps = encoded.decoding();
      const generated: number[] = [];
      const textIds: number[] = [];
      const incremental = new IncrementalDecoder(decode);
      let emittedSegments = 0;
      const windowSeconds = window.endSeconds - window.startSeconds;
      // Called after a timestamp (every piece closed) and at the window's end (text after the last one too).
      const segmentsSoFar = function* (): Generator<SpeechToTextChunk> {
        const pieces = timedPieces(generated, timestampBegin!, timePrecision, windowSeconds);
        for (; emittedSegments < pieces.length; emittedSegments++) {
          const piece = pieces[emittedSegments]!;
          const segment = {
            start: round2(window.startSeconds + piece.start),
            end: round2(window.startSeconds + piece.end),
            text: decode(piece.ids),
          };
          result.segments.push(segment);
          yield { type: 'segment', segment };
        }
      };
      const maxNewTokens = settings.maxNewTokens ?? Number.POSITIVE_INFINITY;
      while (prompt.length + generated.length < settings.maxLength && generated.length < maxNewTokens) {
        const logits = await steps.next([...prompt, ...generated], signal);
        suppress(logits, settings.suppressIds);
        if (generated.length === 0) suppress(logits, settings.beginSuppressIds);
        if (input.timestamps)
          applyTimestampRules(logits, generated, {
            timestampBegin: timestampBegin!,
            noTimestampsId: settings.noTimestampsId!,
            eosId: settings.eosId,
            maxInitialIndex: settings.maxInitialTimestampIndex,
          });
        const token = argmax(logits);
        outputTokens++;
        firstTokenAt ??= performance.now();
        if (token === settings.eosId) break;
        generated.push(token);
        if (timestampBegin !== undefined && token >= timestampBegin) {
          if (input.timestamps) yield* segmentsSoFar();
          continue;
        }
        if (token >= settings.eosId) continue; // other special tokens: no text
        textIds.push(token);
        const piece = incremental.push(token);
        if (piece) yield { type: 'text-delta', text: piece };
      }
      const rest = incremental.flush();
      if (rest) yield { type: 'text-delta', text: rest };
      result.text += decode(textIds);
      if (input.timestamps) yield* segmentsSoFar();
    }
    const ended = performance.now();
    const usage: Usage = { outputTokens, durationMs: ended - started, device };
    if (firstTokenAt !== undefined) usage.timeToFirstTokenMs = firstTokenAt - started;
    yield { type: 'finish', ...(language !== undefined && { language }), usage };
  }
  return runnerOf(transcribe, { streaming: true });
}

function round2(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}

type Transcribe = (
  input: Input,
  signal: AbortSignal | undefined,
  result: Transcript,
) => AsyncGenerator<SpeechToTextChunk>;

/** `run` and `stream` over one transcription generator. */
function runnerOf(
  transcribe: Transcribe,
  { streaming }: { streaming: boolean },
): TaskRunner<SpeechToTextTask> {
  return {
    task: speechToText,
    capabilities: {
      streaming,
      batching: false,
      logitAdjustments: false,
      tools: false,
      jsonSchema: false,
      images: false,
    },
    async run(input, { signal }) {
      const result: Transcript = { text: '', segments: [] };
      for await (const chunk of transcribe(input, signal, result)) {
        if (chunk.type !== 'finish') continue;
        return {
          text: result.text,
          ...(chunk.language !== undefined && { language: chunk.language }),
          ...(input.timestamps && { segments: result.segments }),
          usage: chunk.usage,
        };
      }
      throw new Error('unreachable: a transcription ends with a finish chunk');
    },
    ...(streaming && {
      stream: (input: Input, { signal }: { signal?: AbortSignal }) =>
        transcribe(input, signal, { text: '', segments: [] }),
    }),
  };
}

/** Whether a loaded model is Whisper-style (an encoder-decoder over log-mel features) rather than CTC. */
function isWhisper(context: TaskContext): boolean {
  return (
    context.session.inputs.has('encoder_hidden_states') || context.folder.config?.model_type === 'whisper'
  );
}

/** The speech-to-text task's local runner: Whisper (encoder + decoder files) or a CTC model (one file). */
export const speechToTextRunner: LocalRunner<SpeechToTextTask> = {
  needs: () => ({ tokenizer: true, generation: true, preprocessor: true, json: ['vocab.json'] }),
  build: (context) => (isWhisper(context) ? whisperTask(context) : ctcTask(context)),
};
