import type { ClassificationOutput } from '@mlkit/core';
import { predictWire } from '@mlkit/core/protocols';
import type { Context } from 'hono';
import type { App, AppEnv, ServerContext } from './context.ts';
import { HttpError } from './errors.ts';
import { formFile, readMultipart, readUpload } from './upload.ts';

const mapping = predictWire.predictProtocol.tasks.classification;
const VISION = {
  'image-classification': { mapping: predictWire.imageClassificationMapping, parameter: 'top_k' },
  'object-detection': { mapping: predictWire.objectDetectionMapping, parameter: 'threshold' },
} as const;

const mediaTypeOf = (c: Context<AppEnv>) =>
  (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/** The parameter (`top_k`, `threshold`) of a raw or multipart upload: a query or form field. */
function uploadParameter(name: string, text: string | undefined | null): Record<string, number> {
  if (text === undefined || text === null || text === '') return {};
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new HttpError(400, `${name} must be a number (got "${text.slice(0, 40)}")`, {
      code: 'invalid_input',
      param: name,
    });
  }
  return { [name]: value };
}

/**
 * A vision request as the task's input: a multipart form with the image in field `file` or `image`,
 * the image's bytes as the body (`Content-Type: image/*` or application/octet-stream), or
 * Hugging Face-style JSON `{"inputs": "<base64>" | [...], "parameters"}`. Uploads are read within
 * `limits.maxUploadBytes`; `top_k` / `threshold` come as query parameters or form fields.
 */
async function visionInput(c: Context<AppEnv>, context: ServerContext, task: keyof typeof VISION) {
  const { mapping: vision, parameter } = VISION[task];
  const signal = c.get('scope').signal;
  const { limits } = context.options;
  const type = mediaTypeOf(c);
  if (type === '' || type === 'application/json' || type.endsWith('+json')) {
    const body = await context.readBody(c, predictWire.ImageRequest);
    return { input: vision.decodeRequest(body, {}), single: !Array.isArray(body.inputs) };
  }
  let bytes: Uint8Array;
  let parameters: Record<string, number>;
  if (type === 'multipart/form-data') {
    const form = await readMultipart(c.req.raw, limits, signal);
    if (!form.has('file') && !form.has('image')) {
      throw new HttpError(400, 'The form needs the image file in field "file" or "image"', {
        code: 'missing_file',
        param: 'file',
      });
    }
    const file = await formFile(form, form.has('file') ? 'file' : 'image');
    bytes = file.bytes;
    parameters = uploadParameter(parameter, form.get(parameter) as string | null);
  } else if (type.startsWith('image/') || type === 'application/octet-stream') {
    bytes = (await readUpload(c.req.raw, limits, signal)).file.bytes;
    parameters = uploadParameter(parameter, c.req.query(parameter));
  } else {
    throw new HttpError(
      415,
      `Send the image as its bytes (Content-Type: image/*), a multipart form (field "file" or "image") or JSON {"inputs": "<base64>"} (got "${type.slice(0, 80)}")`,
      { code: 'unsupported_media_type' },
    );
  }
  const input =
    task === 'image-classification'
      ? { image: bytes, ...(parameters.top_k !== undefined && { topK: parameters.top_k }) }
      : { image: bytes, ...(parameters.threshold !== undefined && { threshold: parameters.threshold }) };
  return { input, single: true };
}

/**
 * `POST /predict/{name}`. Classification models: `{"data": [[...], ...]}`, `{"data": [...]}` (one
 * row) or `{"text": "..." | [...]}` -> `{"prediction", "confidence", "scores"}`, each a value for
 * one item or an array for many. Image-classification and object-detection models answer as the
 * Hugging Face Inference API does: `[{"label", "score"}]` / `[{"label", "score", "box"}]` for one
 * image, a list of those for `inputs` given as a list. The wire shapes live in core's `protocols/predict`.
 */
export function predictRoutes(app: App, context: ServerContext): void {
  app.post('/predict/:name', async (c) => {
    const runner = context.runnerFor(
      c.req.param('name'),
      ['classification', 'image-classification', 'object-detection'],
      '/predict requests',
    );
    c.set('model', runner.name);
    const signal = c.get('scope').signal;
    if (runner.task !== 'classification') {
      const task = runner.task as keyof typeof VISION;
      const { input, single } = await visionInput(c, context, task);
      const output = await runner.run(input, signal);
      const encode = VISION[task].mapping.encodeResponse as (
        output: unknown,
        wire: { single: boolean },
      ) => object;
      return c.json(encode(output, { single }));
    }
    const body = await context.readBody(c, predictWire.PredictRequest);
    const output = await runner.run<ClassificationOutput>(mapping.decodeRequest(body, {}), signal);
    return c.json(mapping.encodeResponse(output, { single: predictWire.isSingleItem(body) }));
  });
}
