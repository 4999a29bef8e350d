import type { App, ServerContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { ModelRunner } from '../runner.ts';
import { infer } from './infer.ts';
import { MODEL_VERSION, modelMetadata } from './metadata.ts';
import { InferRequest } from './tensors.ts';

/**
 * Open Inference Protocol v2 (KServe / Triton REST): health, server and model metadata, readiness
 * and inference with typed tensors. Health is told by the status code; errors are `{"error": "..."}`.
 */
export function oipRoutes(app: App, context: ServerContext, isReady: () => boolean, version: string): void {
  const runnerAt = (name: string, modelVersion: string | undefined): ModelRunner => {
    const runner = context.runner(name);
    if (modelVersion !== undefined && modelVersion !== MODEL_VERSION) {
      throw new HttpError(
        404,
        `Model "${name}" has no version "${modelVersion}"; it serves version ${MODEL_VERSION}`,
        {
          code: 'version_not_found',
        },
      );
    }
    return runner;
  };

  app.get('/v2', (c) => c.json({ name: context.options.name, version, extensions: [] }));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => c.json({ ready: isReady() }, isReady() ? 200 : 503));

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, (c) => c.json(modelMetadata(runnerAt(c.req.param('name')!, c.req.param('version')))));

    app.get(`${prefix}/ready`, (c) => {
      const runner = runnerAt(c.req.param('name')!, c.req.param('version'));
      const ready = isReady();
      return c.json({ name: runner.name, ready }, ready ? 200 : 503);
    });

    app.post(`${prefix}/infer`, async (c) => {
      const runner = runnerAt(c.req.param('name')!, c.req.param('version'));
      c.set('model', runner.name);
      const request = await context.readBody(c, InferRequest);
      const outputs = await infer(runner, request, c.get('scope').signal);
      return c.json({
        model_name: runner.name,
        model_version: MODEL_VERSION,
        id: request.id ?? crypto.randomUUID(),
        outputs,
      });
    });
  }
}
