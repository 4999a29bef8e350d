// The foundation's conformance suite, run on every @mlkit/onnx task over the generated fixtures.
// `backendCalls` counts the session runs that reach onnxruntime-node itself (a spy on its
// InferenceSession), so "rejects before reaching the backend" means no onnxruntime run at all.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  classification,
  embedding,
  imageClassification,
  objectDetection,
  speechToText,
  type Task,
  type TaskByName,
  type TaskName,
  tensor,
  textGeneration,
  textToSpeech,
} from '@mlkit/core';
import { describe, expect, it } from 'vitest';
import { runConformance } from '../../../test/conformance/index.ts';
import { type FixtureName, fixturesDir } from '../../../test/fixtures/paths.ts';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { recordSessions } from './ort-spy.ts';
import { fixture } from './support.ts';
import { sampleImage, type VisionFixture, visionFixture } from './vision-support.ts';

/** Load a fixture as `task`, counting the onnxruntime session runs it makes. */
async function subject<N extends TaskName>(name: FixtureName, task: N) {
  const { result: model, sessions } = await recordSessions(() => loadModel(fixture(name), { task }));
  expect(sessions).toHaveLength(1);
  return {
    model: model as OnnxModel<TaskByName<N>> & OnnxModel<Task>,
    backendCalls: () => sessions[0]!.runs,
  };
}

const irisRow = (row: number[]) => ({
  inputs: { float_input: { dtype: 'float32' as const, shape: [1, 4], data: Float32Array.from(row) } },
});

runConformance('onnx tensor task (iris-classifier)', {
  task: tensor,
  create: () => subject('iris-classifier', 'tensor'),
  inputs: [
    irisRow([5.1, 3.5, 1.4, 0.2]),
    {
      inputs: {
        float_input: {
          dtype: 'float32',
          shape: [2, 4],
          data: Float32Array.of(6.7, 3, 5.2, 2.3, 5.9, 3, 4.2, 1.5),
        },
      },
      outputs: ['output_probability'],
    },
  ],
  invalidInputs: [
    // Valid for the schema, wrong for this model: caught against its input metadata before a run.
    { inputs: { float_input: { dtype: 'float64', shape: [1, 4], data: new Float64Array(4) } } },
    { inputs: { float_input: { dtype: 'float32', shape: [1, 3], data: new Float32Array(3) } } },
    { ...irisRow([1, 2, 3, 4]), outputs: ['no_such_output'] },
  ],
});

runConformance('onnx classification task, tabular (iris-classifier)', {
  task: classification,
  create: () => subject('iris-classifier', 'classification'),
  inputs: [
    { rows: [[5.1, 3.5, 1.4, 0.2]] },
    {
      rows: [
        [6.7, 3.0, 5.2, 2.3],
        [5.9, 3.0, 4.2, 1.5],
      ],
    },
  ],
  invalidInputs: [{ rows: [[1, 2, 3]] }, { text: 'a tabular model takes rows' }],
});

runConformance('onnx classification task, text (tiny-bert-sentiment)', {
  task: classification,
  create: () => subject('tiny-bert-sentiment', 'classification'),
  inputs: [{ text: 'a great and lovely film' }, { text: ['terrible, boring plot', 'wonderful acting'] }],
  invalidInputs: [{ rows: [[1, 2, 3, 4]] }],
});

runConformance('onnx embedding task (tiny-bert)', {
  task: embedding,
  create: () => subject('tiny-bert', 'embedding'),
  inputs: [{ texts: ['hello world'] }, { texts: ['the quick brown fox', 'jumps', 'over the lazy dog'] }],
});

runConformance('onnx text-generation task with a KV cache (tiny-gpt)', {
  task: textGeneration,
  create: () => subject('tiny-gpt', 'text-generation'),
  inputs: [
    { prompt: 'hello world', maxTokens: 8, temperature: 0 },
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say something.' },
      ],
      maxTokens: 6,
      temperature: 0.8,
      topK: 20,
      seed: 7,
    },
    { prompt: 'the end', maxTokens: 5, stop: ['e'], temperature: 0 },
  ],
});

/** Load a committed vision fixture as `task`, counting its onnxruntime session runs. */
async function visionSubject<N extends TaskName>(name: VisionFixture, task: N) {
  const { result: model, sessions } = await recordSessions(() => loadModel(visionFixture(name), { task }));
  return {
    model: model as OnnxModel<TaskByName<N>> & OnnxModel<Task>,
    backendCalls: () => sessions[0]!.runs,
  };
}

for (const name of ['tiny-vit', 'tiny-convnext'] as const) {
  runConformance(`onnx image-classification task (${name})`, {
    task: imageClassification,
    create: () => visionSubject(name, 'image-classification'),
    inputs: [
      { image: sampleImage('shapes.png') },
      { image: [sampleImage('stripes.jpg'), sampleImage('shapes.webp')], topK: 2 },
    ],
    invalidInputs: [{ image: new TextEncoder().encode('not an image') }],
  });
}

for (const [name, threshold] of [
  ['tiny-detr', 0.3],
  ['tiny-yolo', 0.25],
] as const) {
  runConformance(`onnx object-detection task (${name})`, {
    task: objectDetection,
    create: () => visionSubject(name, 'object-detection'),
    inputs: [
      { image: sampleImage('shapes.png'), threshold },
      { image: [sampleImage('stripes.png'), sampleImage('shapes.jpg')], threshold },
    ],
    invalidInputs: [{ image: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) }],
  });
}

/** Load a committed speech folder as `task`, counting the runs of all its sessions (Whisper has two). */
async function speechSubject<N extends TaskName>(name: string, task: N) {
  const { result: model, sessions } = await recordSessions(() =>
    loadModel(join(fixturesDir, name), { task }),
  );
  return {
    model: model as OnnxModel<TaskByName<N>> & OnnxModel<Task>,
    backendCalls: () => sessions.reduce((sum, session) => sum + session.runs, 0),
  };
}

const speech = new Uint8Array(readFileSync(join(fixturesDir, '..', 'media', 'hello-16k.wav')));

runConformance('onnx speech-to-text task, CTC (tiny-wav2vec2)', {
  task: speechToText,
  create: () => speechSubject('tiny-wav2vec2', 'speech-to-text'),
  inputs: [{ audio: speech }, { audio: { pcm: new Float32Array(16000).fill(0.01), sampleRate: 16000 } }],
  invalidInputs: [{ audio: new TextEncoder().encode('not a wav file') }],
});

runConformance('onnx speech-to-text task, Whisper (tiny-whisper)', {
  task: speechToText,
  create: () => speechSubject('tiny-whisper', 'speech-to-text'),
  inputs: [
    { audio: speech, language: 'en' },
    { audio: speech, language: 'en', timestamps: true },
  ],
  invalidInputs: [{ audio: new TextEncoder().encode('not a wav file') }, { audio: speech, language: 'xx' }],
});

runConformance('onnx text-to-speech task, VITS (tiny-vits)', {
  task: textToSpeech,
  create: () => speechSubject('tiny-vits', 'text-to-speech'),
  inputs: [{ text: 'hello world' }, { text: 'Hello, world!', format: 'pcm' }],
  invalidInputs: [{ text: '日本語' }],
});

describe('backend call counting used by the conformance runs', () => {
  it('counts every onnxruntime run and agrees with describe().runs', async () => {
    const { model, backendCalls } = await subject('tiny-gpt', 'text-generation');
    try {
      const {
        usage: { outputTokens = 0 },
      } = await model.run({ prompt: 'hello', maxTokens: 4, temperature: 0 });
      // One prefill run, then one run per further token (the last token needs no run after it).
      expect(backendCalls()).toBeGreaterThanOrEqual(Math.max(1, outputTokens));
      expect(backendCalls()).toBeLessThanOrEqual(outputTokens + 1);
      expect(model.describe().runs).toBe(backendCalls());
    } finally {
      await model.dispose();
    }
  });
});
