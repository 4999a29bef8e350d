import { describe, expect, it } from 'vitest';
import {
  agreementOf,
  imageClassification,
  objectDetection,
  speechToText,
  textToSpeech,
} from '../../src/index.ts';
import { safeParse } from '../../src/zod.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
const pixels = { data: new Uint8Array(2 * 2 * 3), width: 2, height: 2, channels: 3 as const };

const messageOf = (schema: Parameters<typeof safeParse>[0], value: unknown) => {
  const result = safeParse(schema, value);
  if (result.success) throw new Error('expected the input to be refused');
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
};

describe('vision and speech task inputs', () => {
  it('image classification takes a URL, bytes, a Blob, raw pixels or a list, and defaults topK to 5', () => {
    for (const image of [
      'https://example.com/a.png',
      'data:image/png;base64,AAAA',
      PNG,
      PNG.buffer,
      new Blob([PNG]),
      pixels,
    ]) {
      const parsed = safeParse(imageClassification.input, { image });
      expect(parsed.success).toBe(true);
      expect(parsed.data?.topK).toBe(5);
    }
    expect(safeParse(imageClassification.input, { image: [PNG, pixels], topK: 2 }).data?.topK).toBe(2);
  });

  it('refuses a file: URL by name, so a caller passes the bytes instead', () => {
    expect(messageOf(imageClassification.input, { image: 'file:///etc/passwd' })).toMatch(
      /got a file: URL.*pass the file's bytes/,
    );
  });

  it('refuses raw pixels whose data does not hold width * height * channels bytes', () => {
    expect(messageOf(objectDetection.input, { image: { ...pixels, data: new Uint8Array(11) } })).toMatch(
      /expected width \* height \* channels = 12 bytes \(got 11\)/,
    );
  });

  it('object detection defaults the threshold to 0.5 and refuses one outside [0, 1]', () => {
    expect(safeParse(objectDetection.input, { image: PNG }).data?.threshold).toBe(0.5);
    expect(safeParse(objectDetection.input, { image: PNG, threshold: 2 }).success).toBe(false);
  });

  it('speech to text takes bytes or PCM samples and a language code, not a language name', () => {
    const pcm = { pcm: new Float32Array(160), sampleRate: 16_000 };
    const parsed = safeParse(speechToText.input, { audio: pcm, language: 'de' });
    expect(parsed.data).toMatchObject({ language: 'de', timestamps: false, translate: false });
    expect(messageOf(speechToText.input, { audio: pcm, language: 'German' })).toMatch(/ISO 639-1/);
    expect(safeParse(speechToText.input, { audio: { pcm: [0.1], sampleRate: 16_000 } }).success).toBe(false);
  });

  it('text to speech defaults to wav and refuses a container it does not know', () => {
    expect(safeParse(textToSpeech.input, { text: 'hello' }).data?.format).toBe('wav');
    expect(safeParse(textToSpeech.input, { text: 'hello', format: 'ogg' }).success).toBe(false);
  });

  it('image classification batches images of calls with the same topK and splits the output back', () => {
    const plan = imageClassification.batch!;
    const inputs = [
      { image: PNG, topK: 1 },
      { image: [PNG, pixels], topK: 1 },
    ];
    expect(plan.key(inputs[0]!)).toBe(plan.key(inputs[1]!));
    const merged = plan.merge(inputs);
    expect(plan.size(merged)).toBe(3);
    const predictions = [[{ label: 'a', score: 1 }], [{ label: 'b', score: 1 }], [{ label: 'c', score: 1 }]];
    const [first, second] = plan.split({ predictions, usage: {} }, inputs);
    expect(first!.predictions).toEqual([predictions[0]]);
    expect(second!.predictions).toEqual(predictions.slice(1));
  });
});

describe('agreement of vision and speech outputs', () => {
  const box = { xmin: 0, ymin: 0, xmax: 10, ymax: 10 };
  it('counts equal top labels per image', () => {
    const a = { predictions: [[{ label: 'cat', score: 0.9 }], [{ label: 'dog', score: 0.6 }]], usage: {} };
    const b = { predictions: [[{ label: 'cat', score: 0.7 }], [{ label: 'cat', score: 0.5 }]], usage: {} };
    expect(agreementOf('image-classification', a, b)).toBe(0.5);
  });

  it('pairs detections of the same label that overlap by IoU >= 0.5', () => {
    const a = {
      detections: [
        [
          { label: 'cat', score: 1, box },
          { label: 'dog', score: 1, box },
        ],
      ],
      usage: {},
    };
    const shifted = { xmin: 1, ymin: 1, xmax: 11, ymax: 11 }; // IoU 81/119 = 0.68
    const far = { xmin: 8, ymin: 8, xmax: 18, ymax: 18 }; // IoU 4/196
    const b = {
      detections: [
        [
          { label: 'cat', score: 1, box: shifted },
          { label: 'dog', score: 1, box: far },
        ],
      ],
      usage: {},
    };
    expect(agreementOf('object-detection', a, b)).toBe(0.5);
    expect(agreementOf('object-detection', a, a)).toBe(1);
  });

  it('compares transcriptions with whitespace and case folded', () => {
    expect(agreementOf('speech-to-text', { text: ' Hello  world' }, { text: 'hello world' })).toBe(1);
    expect(agreementOf('speech-to-text', { text: 'hello' }, { text: 'yellow' })).toBe(0);
  });
});
