/**
 * Vision, one code path hosted or local: classify one image, detect the objects in it, and save a
 * copy with the detected boxes drawn on it as a PNG.
 *
 *   MLKIT_VISION_MODEL=oip:http://triton:8000/vit MLKIT_DETECTION_MODEL=oip:http://triton:8000/yolo \
 *     node examples/vision/main.ts photo.png
 *   MLKIT_VISION_MODEL=predict:http://127.0.0.1:8000/predict/vit \
 *     MLKIT_DETECTION_MODEL=predict:http://127.0.0.1:8000/predict/detr node examples/vision/main.ts photo.png
 *   MLKIT_VISION_MODEL=onnx:./models/vit MLKIT_DETECTION_MODEL=onnx:./models/yolo node examples/vision/main.ts photo.png
 *
 * The image is a PNG path (test/fixtures/media/shapes.png when omitted); the boxed copy goes to
 * MLKIT_VISION_OUTPUT (a folder, default <tmp>/mlkit-vision). Detections scoring below
 * MLKIT_DETECTION_THRESHOLD (default 0.5) are dropped, and the best MAX_BOXES are drawn.
 *
 * With both models unset it runs `vision()` twice as a demo: "hosted" is @mlkit/server on 127.0.0.1
 * serving the repository's tiny-vit and tiny-yolo folders over Open Inference Protocol v2 behind an
 * API key, called over HTTP; "local" loads the same folders in-process. The weights are random, so
 * the labels are arbitrary and every score is low (the demo keeps detections from 0.25, tiny-yolo's
 * own conf_threshold): what both guarantee is the same answer in the same shape. Each run prints
 * one `RESULT {...}` JSON line.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, isAbsolute, join, relative } from 'node:path';
import {
  createModel,
  type Detection,
  type ImageClassificationTask,
  InvalidInputError,
  type LabelScore,
  type Model,
  type ObjectDetectionTask,
  registerProvider,
} from '@mlkit/core';
import { loadModel, onnxProvider } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { PNG } from 'pngjs';
import { fixturesDir, repoRoot } from '../../test/fixtures/paths.ts';

registerProvider(onnxProvider); // makes 'onnx:<folder>' resolvable by createModel()

/** Boxes drawn on the saved image, best first; every detection is still in the result. */
const MAX_BOXES = 5;
/** Box colours, one per label in order of first appearance. */
const PALETTE = [
  { name: 'red', rgb: [255, 0, 0] },
  { name: 'green', rgb: [0, 200, 0] },
  { name: 'blue', rgb: [0, 90, 255] },
  { name: 'yellow', rgb: [255, 200, 0] },
  { name: 'magenta', rgb: [255, 0, 255] },
] as const;

/** The configuration the app reads: environment variables, or the demo's stand-ins for them. */
interface VisionConfig {
  /** 'scheme:id' of the image-classification model, e.g. 'oip:http://triton:8000/vit' or 'onnx:./models/vit'. */
  MLKIT_VISION_MODEL?: string | undefined;
  /** 'scheme:id' of the object-detection model. */
  MLKIT_DETECTION_MODEL?: string | undefined;
  /** Lowest detection score kept, 0 to 1 (default 0.5). */
  MLKIT_DETECTION_THRESHOLD?: string | undefined;
  /** API key for the server(s) behind the models. */
  MLKIT_API_KEY?: string | undefined;
  /** Folder the boxed PNG is written to (default <tmp>/mlkit-vision). */
  MLKIT_VISION_OUTPUT?: string | undefined;
}

/** What one configuration produced: the same shape whichever backend ran. */
interface VisionResult {
  config: string;
  models: { classification: string; detection: string };
  image: { path: string; width: number; height: number };
  predictions: LabelScore[];
  detections: Detection[];
  /** The saved PNG, and how many of the detections are drawn on it. */
  output: { path: string; boxes: number };
}

/**
 * The application code. Nothing in it knows whether the models are hosted or self-run: the model
 * specs and the provider options come from the configuration.
 */
async function vision(label: string, config: VisionConfig, imagePath: string): Promise<VisionResult> {
  const { MLKIT_VISION_MODEL: classifierSpec, MLKIT_DETECTION_MODEL: detectorSpec } = config;
  if (!classifierSpec || !detectorSpec) {
    throw new InvalidInputError(
      'set both MLKIT_VISION_MODEL and MLKIT_DETECTION_MODEL (or neither for the demo)',
    );
  }
  const bytes = new Uint8Array(readFileSync(imagePath));
  const picture = readPng(bytes, imagePath); // before any call: the boxes are drawn on these pixels
  const options = config.MLKIT_API_KEY ? { apiKey: config.MLKIT_API_KEY } : {};
  const classifier: Model<ImageClassificationTask> = await createModel(classifierSpec, {
    task: 'image-classification',
    ...options,
  });
  const detector: Model<ObjectDetectionTask> = await createModel(detectorSpec, {
    task: 'object-detection',
    ...options,
  });
  try {
    const { predictions } = await classifier.run({ image: bytes, topK: 3 });
    const threshold = config.MLKIT_DETECTION_THRESHOLD ? Number(config.MLKIT_DETECTION_THRESHOLD) : 0.5;
    const { detections } = await detector.run({ image: bytes, threshold });
    const labels = predictions[0] ?? []; // one image in, one list out
    const found = detections[0] ?? [];
    for (const { label: name, score } of labels) say(label, `label   ${name} ${score.toFixed(4)}`);
    const drawn = found.slice(0, MAX_BOXES);
    for (const { label: name, score, box } of drawn) {
      const corners = [box.xmin, box.ymin, box.xmax, box.ymax].map((v) => v.toFixed(1)).join(', ');
      say(label, `object  ${name} ${score.toFixed(4)} at [${corners}]`);
    }
    const names = [...new Set(drawn.map((detection) => detection.label))];
    const colourOf = (name: string) => PALETTE[names.indexOf(name) % PALETTE.length]!;
    for (const { label: name, box } of drawn) drawBox(picture, box, colourOf(name).rgb);
    const folder = config.MLKIT_VISION_OUTPUT ?? join(tmpdir(), 'mlkit-vision');
    mkdirSync(folder, { recursive: true });
    const output = join(folder, `${basename(imagePath, extname(imagePath))}.${label}.png`);
    writeFileSync(output, PNG.sync.write(picture));
    const legend = names.map((name) => `${name} ${colourOf(name).name}`).join(', ');
    say(
      label,
      `saved   ${output} (${drawn.length} best of ${found.length} boxes${legend ? `: ${legend}` : ''})`,
    );

    return {
      config: label,
      models: { classification: classifierSpec, detection: detectorSpec },
      image: { path: imagePath, width: picture.width, height: picture.height },
      predictions: labels,
      detections: found,
      output: { path: output, boxes: drawn.length },
    };
  } finally {
    await Promise.all([classifier.dispose(), detector.dispose()]);
  }
}

/** Decoded RGBA pixels of a PNG file; other formats are refused by name (the models read JPEG and WebP too). */
function readPng(bytes: Uint8Array, path: string): PNG {
  try {
    return PNG.sync.read(Buffer.from(bytes));
  } catch (cause) {
    throw new InvalidInputError(`${path} is not a PNG file; this example draws on PNG images only`, {
      cause,
      issues: [{ path: 'image', message: 'expected a PNG file' }],
    });
  }
}

/** A one-pixel rectangle along the box's edges, clipped to the image; a box wholly outside is skipped. */
function drawBox(picture: PNG, box: Detection['box'], [r, g, b]: readonly [number, number, number]): void {
  const { width, height, data } = picture;
  const clamp = (value: number, size: number) => Math.min(Math.max(Math.round(value), 0), size - 1);
  if (box.xmax < 0 || box.ymax < 0 || box.xmin > width - 1 || box.ymin > height - 1) return;
  const [x0, x1, y0, y1] = [
    clamp(box.xmin, width),
    clamp(box.xmax, width),
    clamp(box.ymin, height),
    clamp(box.ymax, height),
  ];
  const paint = (x: number, y: number) => data.set([r, g, b, 255], (y * width + x) * 4);
  for (let x = x0; x <= x1; x++) {
    paint(x, y0);
    paint(x, y1);
  }
  for (let y = y0; y <= y1; y++) {
    paint(x0, y);
    paint(x1, y);
  }
}

function say(label: string, line: string): void {
  console.log(`[${label}] ${line}`);
}

function printConfig(label: string, config: VisionConfig): void {
  say(label, `MLKIT_VISION_MODEL=${config.MLKIT_VISION_MODEL ?? '(unset)'}`);
  say(label, `MLKIT_DETECTION_MODEL=${config.MLKIT_DETECTION_MODEL ?? '(unset)'}`);
  say(label, `MLKIT_DETECTION_THRESHOLD=${config.MLKIT_DETECTION_THRESHOLD ?? '(unset: 0.5)'}`);
  say(label, `MLKIT_API_KEY=${config.MLKIT_API_KEY ? '(set, not shown)' : '(unset)'}`);
}

/** A folder as an 'onnx:' spec, relative to the working directory when it lies under it. */
function onnxSpec(folder: string): string {
  const path = relative(process.cwd(), folder);
  return `onnx:${path.startsWith('..') || isAbsolute(path) ? folder : `./${path}`}`;
}

async function demo(imagePath: string): Promise<void> {
  const vit = join(fixturesDir, 'tiny-vit');
  const yolo = join(fixturesDir, 'tiny-yolo');

  // The "hosted" side: the fixture folders behind @mlkit/server's OIP v2 routes.
  const apiKey = `sk-demo-${randomBytes(16).toString('hex')}`;
  const server = createServer({
    models: {
      'tiny-vit': await loadModel(vit, { task: 'image-classification' }),
      'tiny-yolo': await loadModel(yolo, { task: 'object-detection' }),
    },
    apiKeys: [apiKey],
  });
  const listening = await listen(server, { port: 0, host: '127.0.0.1' });
  console.log(
    'MLKIT_VISION_MODEL and MLKIT_DETECTION_MODEL are unset: running vision() under two configurations.',
  );
  console.log(`hosted = @mlkit/server on ${listening.url} (Open Inference Protocol v2, API key required)`);
  console.log('local  = the same fixture folders in this process with onnxruntime-node\n');

  const shared = { MLKIT_DETECTION_THRESHOLD: '0.25', MLKIT_VISION_OUTPUT: process.env.MLKIT_VISION_OUTPUT };
  const configs: [string, VisionConfig][] = [
    [
      'hosted',
      {
        MLKIT_VISION_MODEL: `oip:${listening.url}/tiny-vit`,
        MLKIT_DETECTION_MODEL: `oip:${listening.url}/tiny-yolo`,
        MLKIT_API_KEY: apiKey,
        ...shared,
      },
    ],
    ['local', { MLKIT_VISION_MODEL: onnxSpec(vit), MLKIT_DETECTION_MODEL: onnxSpec(yolo), ...shared }],
  ];
  const results: VisionResult[] = [];
  try {
    for (const [label, config] of configs) {
      printConfig(label, config);
      const result = await vision(label, config, imagePath);
      results.push(result);
      console.log(`RESULT ${JSON.stringify(result)}\n`);
    }
  } finally {
    await listening.close({ graceMs: 1000 }); // also disposes the served models
  }

  const [hosted, local] = results as [VisionResult, VisionResult];
  const labelsOf = (result: VisionResult) => result.predictions.map((p) => p.label).join(', ');
  const boxGap = Math.max(
    0,
    ...hosted.detections.flatMap(({ box }, i) => {
      const other = local.detections[i]?.box;
      return other
        ? [box.xmin - other.xmin, box.ymin - other.ymin, box.xmax - other.xmax, box.ymax - other.ymax].map(
            Math.abs,
          )
        : [Infinity];
    }),
  );
  console.log(
    'Both configurations ran the same function, vision(config); only the configuration strings differ.',
  );
  console.log(`top labels  hosted ${labelsOf(hosted)} | local ${labelsOf(local)}`);
  console.log(
    `detections  hosted ${hosted.detections.length} | local ${local.detections.length}, boxes apart by at most ${boxGap.toExponential(1)} px`,
  );
}

const env = process.env;
const imagePath =
  process.argv[2] ?? relative(process.cwd(), join(repoRoot, 'test', 'fixtures', 'media', 'shapes.png'));
try {
  if (env.MLKIT_VISION_MODEL || env.MLKIT_DETECTION_MODEL) {
    const label = 'env';
    printConfig(label, env);
    console.log(`RESULT ${JSON.stringify(await vision(label, env, imagePath))}`);
  } else {
    await demo(imagePath);
  }
} catch (error) {
  console.error(
    `vision failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  );
  process.exitCode = 1;
}
