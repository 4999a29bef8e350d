// How `mlkit run` reads vision and speech inputs from the command line and prints their outputs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@mlkit/core';
import { describe, expect, it } from 'vitest';
import { inputFromText } from '../src/input.ts';
import { pretty } from '../src/output.ts';

describe('vision and speech inputs from plain text', () => {
  const folder = mkdtempSync(join(tmpdir(), 'mlkit-cli-media-'));
  const image = join(folder, 'cat.png');
  writeFileSync(image, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));

  it('reads an image path into bytes and keeps a URL as it is', () => {
    expect(inputFromText(image, 'image-classification')).toEqual({
      image: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
    });
    expect(inputFromText('https://example.com/cat.png', 'object-detection')).toEqual({
      image: 'https://example.com/cat.png',
    });
  });

  it('reads an audio path for speech to text, and takes the text to speak as it is', () => {
    expect(inputFromText(image, 'speech-to-text')).toMatchObject({ audio: expect.any(Uint8Array) });
    expect(inputFromText('Hello there', 'text-to-speech')).toEqual({ text: 'Hello there' });
  });

  it('names a file it cannot read', () => {
    const missing = join(folder, 'missing.wav');
    expect(() => inputFromText(missing, 'speech-to-text')).toThrow(InvalidInputError);
    expect(() => inputFromText(missing, 'speech-to-text')).toThrow(
      new RegExp(
        `cannot read the audio file "${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" \\(ENOENT\\)`,
      ),
    );
  });
});

describe('pretty vision and speech outputs', () => {
  it('prints the top labels of one image on one line, several images numbered', () => {
    const one = {
      predictions: [
        [
          { label: 'cat', score: 0.91234 },
          { label: 'dog', score: 0.05 },
        ],
      ],
    };
    expect(pretty('image-classification', one)).toBe('cat (0.9123), dog (0.05)');
    const two = { predictions: [[{ label: 'cat', score: 1 }], [{ label: 'dog', score: 0.5 }]] };
    expect(pretty('image-classification', two)).toBe('0: cat (1)\n1: dog (0.5)');
  });

  it('prints each detection with its box, and says when an image has none', () => {
    const output = {
      detections: [[{ label: 'cat', score: 0.8, box: { xmin: 1.25, ymin: 2, xmax: 30.04, ymax: 40 } }], []],
    };
    expect(pretty('object-detection', output)).toBe(
      '0: cat (0.8) at [1.3, 2, 30, 40]\n1: (nothing above the threshold)',
    );
  });

  it('prints a transcript, or its timed segments when it has them', () => {
    expect(pretty('speech-to-text', { text: 'hello world' })).toBe('hello world');
    const timed = { text: 'hello world', segments: [{ start: 0, end: 1.234, text: 'hello world' }] };
    expect(pretty('speech-to-text', timed)).toBe('[0-1.23] hello world');
  });
});
