// `mlkit run` on the vision and speech fixtures, as a user types it: a file path in, labels, boxes,
// text or an audio file out.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/fixtures/paths.ts';
import { mlkit, requireBuild } from './mlkit.ts';

const model = (name: string) => `onnx:${join(fixturesDir, name)}`;
const media = (name: string) => join(fixturesDir, '..', 'media', name);

beforeAll(() => requireBuild());

describe('mlkit run with images and audio', () => {
  it('classifies an image file and prints its top labels on one line, the same as --json', async () => {
    const pretty = await mlkit(['run', model('tiny-vit'), media('shapes.png')]);
    const json = await mlkit(['run', model('tiny-vit'), media('shapes.png'), '--json']);
    expect(pretty.code).toBe(0);
    expect(json.code).toBe(0);
    const [labels] = JSON.parse(json.stdout).predictions as { label: string; score: number }[][];
    expect(labels).toHaveLength(5);
    expect(
      pretty.stdout
        .trim()
        .split(', ')
        .map((entry) => entry.replace(/ \([\d.e-]+\)$/, '')),
    ).toEqual(labels!.map((entry) => entry.label));
  });

  it('prints each detection with its box; JSON input takes a data: URL and a threshold', async () => {
    const image = `data:image/png;base64,${readFileSync(media('square.png')).toString('base64')}`;
    const below = await mlkit(['run', model('tiny-detr'), media('square.png')]);
    expect(below.stdout).toBe('(nothing above the threshold)\n'); // random weights score about 0.45
    const { code, stdout } = await mlkit([
      'run',
      model('tiny-detr'),
      JSON.stringify({ image, threshold: 0.3 }),
    ]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')[0]).toMatch(/^\S.* \([\d.]+\) at \[[\d.]+, [\d.]+, [\d.]+, [\d.]+\]$/);
  });

  it('transcribes a WAV file', async () => {
    const { code, stdout } = await mlkit(['run', model('tiny-whisper'), media('hello-16k.wav'), '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).text.trim()).toBe('hello world');
  });

  it('writes synthesised speech to --out and says what it wrote', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mlkit-cli-tts-')), 'hello.wav');
    const { code, stdout } = await mlkit(['run', model('tiny-vits'), 'hello', '--out', out]);
    expect(code).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(stdout).toBe(
      `wrote ${bytes.length} bytes of audio/wav at ${bytes.readUInt32LE(24)} Hz to ${out}\n`,
    );
  });

  it('asks for --out before synthesising, and names an image file it cannot read', async () => {
    const speech = await mlkit(['run', model('tiny-vits'), 'hello']);
    expect(speech.code).toBe(2);
    expect(speech.stderr).toContain('pass --out speech.wav');
    const missing = await mlkit(['run', model('tiny-vit'), media('missing.png')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/cannot read the image file ".*missing\.png" \(ENOENT\)/);
  });
});
