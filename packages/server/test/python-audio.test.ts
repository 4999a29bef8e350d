// The Python openai SDK from PyPI (pinned in scripts/requirements.txt, installed into .venv by
// scripts/setup.sh) against the server's audio routes on 127.0.0.1, serving the repository's
// tiny-whisper and tiny-vits folders: audio.transcriptions.create and audio.speech.create.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SpeechToTextOutput, TextToSpeechOutput } from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, repoRoot } from '../../../test/fixtures/paths.ts';

const python = join(repoRoot, '.venv', 'bin', 'python');
const script = join(import.meta.dirname, 'python', 'audio_client.py');
const wavPath = join(repoRoot, 'test', 'fixtures', 'media', 'hello-16k.wav');
const KEY = 'sk-python-audio-test-key';
const venv = existsSync(python);
// Under CI a missing venv is a failure, not a skip: the suite must not pass without running.
const inCI = process.env.CI === 'true';
const suite = venv || inCI ? describe : describe.skip;
const title =
  venv || inCI
    ? 'the Python openai SDK on the audio routes'
    : 'the Python openai SDK on the audio routes (skipped: no .venv; run scripts/setup.sh --python)';

type Case = Record<string, unknown> & { case: string };

const vitsReference = (
  JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/reference/vision-speech.json'), 'utf8')) as {
    'tiny-vits': { text: string; length: number };
  }
)['tiny-vits'];

suite(title, () => {
  let listening: Listening;
  let cases: Map<string, Case>;
  // What the same folders give in-process, for the SDK's answers to match.
  let plain: SpeechToTextOutput;
  let timed: SpeechToTextOutput;
  let spoken: TextToSpeechOutput;

  beforeAll(async () => {
    if (!venv)
      throw new Error(
        `${python} is missing: run scripts/setup.sh --python (it builds .venv from scripts/requirements.txt)`,
      );
    const whisper = await loadModel(join(fixturesDir, 'tiny-whisper'), { task: 'speech-to-text' });
    const vits = await loadModel(join(fixturesDir, 'tiny-vits'), { task: 'text-to-speech' });
    const audio = readFileSync(wavPath);
    plain = await whisper.run({ audio });
    timed = await whisper.run({ audio, timestamps: true });
    spoken = await vits.run({ text: 'hello world' });
    const server = createServer({
      models: { 'tiny-whisper': whisper, 'tiny-vits': vits },
      apiKeys: [KEY],
    });
    listening = await listen(server, { port: 0, host: '127.0.0.1' });
    const { stdout } = await promisify(execFile)(
      python,
      [script, `${listening.url}/v1`, KEY, 'tiny-whisper', 'tiny-vits', wavPath],
      { timeout: 60_000 },
    );
    cases = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Case)
        .map((c) => [c.case, c]),
    );
  }, 90_000);
  afterAll(() => listening?.close({ graceMs: 1000 })); // also disposes the served models

  it('parses transcriptions.create into a Transcription with the text the model gives in-process', () => {
    expect(plain.text).not.toBe('');
    expect(cases.get('transcription_json')).toEqual({
      case: 'transcription_json',
      type: 'Transcription',
      text: plain.text,
    });
  });

  it('returns the bare text for response_format text', () => {
    expect(cases.get('transcription_text')).toEqual({
      case: 'transcription_text',
      type: 'str',
      text: plain.text,
    });
  });

  it('parses verbose_json with segment timestamps into a TranscriptionVerbose with the same segments', () => {
    const verbose = cases.get('transcription_verbose')!;
    expect(verbose.type).toBe('TranscriptionVerbose');
    expect(verbose.text).toBe(timed.text);
    expect(verbose.language).toBe(timed.language);
    expect(timed.segments?.length).toBeGreaterThan(0);
    expect(verbose.segments).toEqual(timed.segments);
    expect(verbose.duration).toBe(timed.segments!.at(-1)!.end);
  });

  it('streams transcript.text.delta events that add up to the transcript.text.done text', () => {
    const stream = cases.get('transcription_stream')!;
    const types = stream.types as string[];
    const deltas = stream.deltas as string[];
    expect(deltas.length).toBeGreaterThan(1);
    expect(types).toEqual([...deltas.map(() => 'transcript.text.delta'), 'transcript.text.done']);
    expect(deltas.join('')).toBe(plain.text);
    expect(stream.done_text).toBe(plain.text);
  });

  it('reads audio.speech.create as a WAV that Python parses, byte for byte what the model gives in-process', () => {
    const speech = cases.get('speech_wav')!;
    expect(speech).toMatchObject({
      content_type: 'audio/wav',
      riff: 'RIFF',
      sample_rate: spoken.sampleRate,
      channels: 1,
      sample_width: 2,
    });
    // As many samples as transformers' VitsModel gave for "Hello world" (scripts/fixtures/export.py).
    expect(speech.frames).toBe(vitsReference.length);
    expect(speech.sha256).toBe(createHash('sha256').update(spoken.audio).digest('hex'));
  });

  it('speaks with a stock voice too: a single-speaker model leaves it out and says so in x-mlkit-warning', () => {
    const named = cases.get('speech_named_voice')!;
    expect(named).toMatchObject({ status: 200, sha256: cases.get('speech_wav')!.sha256 });
    expect(named.warning).toMatch(/voice "alloy" ignored: .* has one speaker/);
  });

  it('answers speech for a speech-to-text model with a 4xx naming the model', () => {
    const wrong = cases.get('speech_wrong_task')!;
    expect(wrong.raised).not.toBeNull();
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    expect(wrong.message).toMatch(/tiny-whisper/);
  });
});
