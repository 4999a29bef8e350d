// examples/speech/main.ts as a user runs it: transcribe a WAV, stream it, speak it back, hosted or local, one code path.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wavefile from 'wavefile';
import { z } from 'zod';
import { repoRoot } from '../fixtures/paths.ts';
import { type ExampleRun, runExample } from './run-example.ts';

// Node loads wavefile's CommonJS build, whose exports arrive as `default`.
const { WaveFile } = (wavefile as typeof wavefile & { default?: typeof wavefile }).default ?? wavefile;

// What the example promises its caller, restated here so that a looser result in the example fails this test.
const Segment = z.strictObject({
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  text: z.string(),
});
const SpeechResult = z.strictObject({
  config: z.enum(['hosted', 'local']),
  models: z.strictObject({ speechToText: z.string().min(1), textToSpeech: z.string().min(1) }),
  transcript: z.strictObject({
    text: z.string(),
    language: z.string().nullable(),
    segments: z.array(Segment),
  }),
  stream: z.strictObject({
    streaming: z.boolean(),
    deltas: z.number().int().nonnegative(),
    text: z.string(),
  }),
  speech: z.strictObject({
    text: z.string().min(1),
    file: z.string().min(1),
    mediaType: z.literal('audio/wav'),
    sampleRate: z.number().int().positive().nullable(),
    bytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});
type SpeechResult = z.infer<typeof SpeechResult>;

/** What the Python reference (scripts/fixtures/export.py, transformers) transcribed from hello-16k.wav. */
const reference = (
  JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/reference/vision-speech.json'), 'utf8')) as {
    'tiny-whisper': { 'hello-16k.wav': { text: string; timestamped: { text: string } } };
  }
)['tiny-whisper']['hello-16k.wav'];

/** Every key path of a JSON value with the type at its end: the value's shape. */
function shapeOf(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => shapeOf(item, `${path}[]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => shapeOf(inner, path ? `${path}.${key}` : key));
  }
  return [`${path}: ${value === null ? 'null' : typeof value}`];
}

describe('examples/speech: transcribe, stream and speak back a WAV, hosted or local by configuration', () => {
  // The example saves its WAVs under the system's temporary folder: a fresh one for this run.
  const outputRoot = mkdtempSync(join(tmpdir(), 'mlkit-speech-test-'));
  let example: ExampleRun;
  let results: SpeechResult[];

  beforeAll(async () => {
    example = await runExample('speech', { MLKIT_STT_MODEL: undefined, TMPDIR: outputRoot });
    results = example.stdout
      .split('\n')
      .filter((line) => line.startsWith('RESULT '))
      .map((line) => JSON.parse(line.slice('RESULT '.length)) as SpeechResult);
  }, 90_000);
  afterAll(() => rmSync(outputRoot, { recursive: true, force: true }));

  it('exits 0 and prints one RESULT line per configuration, hosted then local', () => {
    expect(example.code, example.stderr).toBe(0);
    expect(results.map((r) => r.config)).toEqual(['hosted', 'local']);
  });

  it('prints RESULT lines that validate against the strict result schema', () => {
    for (const result of results) {
      const check = SpeechResult.safeParse(result);
      expect(check.success, `${result.config}: ${JSON.stringify(check.error?.issues)}`).toBe(true);
    }
  });

  it('differs only in the model strings: openai-compatible: against the server, onnx: locally', () => {
    const [hosted, local] = results as [SpeechResult, SpeechResult];
    expect(hosted.models).toEqual({
      speechToText: 'openai-compatible:tiny-whisper',
      textToSpeech: 'openai-compatible:tiny-vits',
    });
    expect(local.models.speechToText).toMatch(/^onnx:.*tiny-whisper$/);
    expect(local.models.textToSpeech).toMatch(/^onnx:.*tiny-vits$/);
    expect(example.stdout).toContain('[hosted] MLKIT_BASE_URL=http://127.0.0.1:');
    expect(example.stdout).toContain('[local] MLKIT_BASE_URL=(unset)');
  });

  it('gives both configurations timed segments that cover the transcript', () => {
    for (const result of results) {
      const { segments, text } = result.transcript;
      expect(segments.length, result.config).toBeGreaterThan(0);
      for (const segment of segments) expect(segment.end).toBeGreaterThanOrEqual(segment.start);
      expect(segments.map((s) => s.text).join('')).toBe(text);
    }
  });

  it('transcribes hosted exactly as locally, since the server runs the same greedy decoder', () => {
    const [hosted, local] = results as [SpeechResult, SpeechResult];
    expect(local.transcript).toEqual(hosted.transcript);
    expect(local.stream.text).toBe(hosted.stream.text);
    expect(example.stdout).toContain('greedy transcripts identical: yes');
  });

  it('transcribes what transformers in Python transcribed from the same file and folder', () => {
    for (const result of results) {
      expect(result.transcript.text, result.config).toBe(reference.timestamped.text);
      expect(result.stream.text, result.config).toBe(reference.text);
    }
  });

  it('streams the text in more than one delta on both sides (SSE from the server, tokens locally)', () => {
    for (const result of results) {
      expect(result.stream.streaming, result.config).toBe(true);
      expect(result.stream.deltas, result.config).toBeGreaterThan(1);
    }
  });

  it('saves the spoken transcript as a WAV that parses, at the reported rate, with samples', () => {
    for (const result of results) {
      expect(result.speech.text).toBe(result.transcript.text.trim());
      expect(dirname(result.speech.file)).toBe(join(outputRoot, 'mlkit-speech'));
      const bytes = readFileSync(result.speech.file);
      expect(bytes.byteLength).toBe(result.speech.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(result.speech.sha256);
      const wav = new WaveFile(bytes);
      const format = wav.fmt as { sampleRate: number; numChannels: number };
      expect(format.sampleRate, result.config).toBe(result.speech.sampleRate);
      expect(format.numChannels).toBe(1);
      const samples = wav.getSamples(false, Float64Array) as unknown as Float64Array;
      expect(samples.length, result.config).toBeGreaterThan(0);
      expect(samples.some((sample) => sample !== 0)).toBe(true);
    }
  });

  it('speaks the same audio hosted as locally (the VITS export fixes its noise)', () => {
    const [hosted, local] = results as [SpeechResult, SpeechResult];
    expect(local.speech.sha256).toBe(hosted.speech.sha256);
    expect(example.stdout).toContain('spoken audio identical: yes');
  });

  it('prints results of the same shape for both configurations', () => {
    const [hosted, local] = results as [SpeechResult, SpeechResult];
    expect(shapeOf(local)).toEqual(shapeOf(hosted));
  });

  it('never prints the generated API key', () => {
    expect(example.stdout).toContain('MLKIT_API_KEY=(set, not shown)');
    expect(`${example.stdout}${example.stderr}`).not.toMatch(/sk-demo-[0-9a-f]/);
  });
});
