import type { OutputOf, Task, TaskName, TextGenerationOutput, TextGenerationTask } from '@mlkit/core';
import { oipWire } from '@mlkit/core/protocols';
import type { Context } from 'hono';
import { parseJsonBytes, readBytes, readJson } from '../body.ts';
import type { App, AppEnv, ServerContext } from '../context.ts';
import { HttpError, toHttpError } from '../errors.ts';
import type { ModelRunner } from '../runner.ts';
import { sseResponse } from '../sse.ts';

const { MODEL_VERSION, HEADER_LENGTH_HEADER } = oipWire;
const MAPPINGS = oipWire.oipV2.tasks as unknown as Partial<Record<string, oipWire.InferMapping>>;

/**
 * Open Inference Protocol v2 (KServe / Triton REST): health, server and model metadata, readiness,
 * inference (JSON or the binary tensor extension, gzip/deflate bodies) and the generate extension.
 * The wire is `src/protocols/oip-v2`; errors are `{"error": "..."}` (`errors.ts`).
 */
export function oipRoutes(app: App, context: ServerContext, isReady: () => boolean, version: string): void {
  const runnerAt = (name: string, modelVersion: string | undefined): ModelRunner => {
    const runner = context.runner(name);
    if (modelVersion !== undefined && modelVersion !== MODEL_VERSION) {
      throw new HttpError(
        404,
        `Model "${name}" has no version "${modelVersion}"; it serves version ${MODEL_VERSION}`,
        { code: 'version_not_found' },
      );
    }
    return runner;
  };
  const served = (runner: ModelRunner) => ({
    modelName: runner.name,
    task: runner.task as TaskName,
    capabilities: runner.model.capabilities,
    platform: runner.model.id.startsWith('onnx:') ? 'onnxruntime_onnx' : 'mlkit',
  });
  /** A generate request for a text-generation model, as the task's input. */
  const generateRequest = async (c: Context<AppEnv>) => {
    const runner = runnerAt(c.req.param('name')!, c.req.param('version'));
    if (runner.task !== 'text-generation') {
      throw new HttpError(
        400,
        `Model "${runner.name}" runs ${runner.task}; generate needs a text-generation model`,
        {
          code: 'wrong_task',
        },
      );
    }
    c.set('model', runner.name);
    const wire = { modelName: runner.name };
    const input = oipWire.generateMapping.decodeRequest(
      await context.readBody(c, oipWire.GenerateRequest),
      wire,
    );
    return { runner, wire, input };
  };

  app.get('/v2', (c) =>
    c.json({ name: context.options.name, version, extensions: ['binary_tensor_data', 'generate'] }),
  );
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => c.json({ ready: isReady() }, isReady() ? 200 : 503));

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, (c) =>
      c.json(oipWire.modelMetadata(served(runnerAt(c.req.param('name')!, c.req.param('version'))))),
    );

    app.get(`${prefix}/ready`, (c) => {
      const runner = runnerAt(c.req.param('name')!, c.req.param('version'));
      const ready = isReady();
      return c.json({ name: runner.name, ready }, ready ? 200 : 503);
    });

    app.post(`${prefix}/infer`, async (c) => {
      const runner = runnerAt(c.req.param('name')!, c.req.param('version'));
      c.set('model', runner.name);
      const mapping = MAPPINGS[runner.task];
      if (!mapping) {
        throw new HttpError(
          400,
          `Model "${runner.name}" runs ${runner.task}, which OIP v2 inference does not serve`,
        );
      }
      const { limits } = context.options;
      const signal = c.get('scope').signal;
      const headerLength = c.req.header(HEADER_LENGTH_HEADER);
      let decoded: ReturnType<typeof oipWire.decodeInferRequest>;
      if (headerLength === undefined) {
        decoded = oipWire.decodeInferRequest(
          await readJson(c.req.raw, limits, signal, oipWire.parseJsonLossless),
        );
      } else {
        // The binary tensor extension: a JSON header, then the tensors' bytes.
        const body = await readBytes(c.req.raw, limits, signal);
        const { header, tail } = oipWire.splitBody(body, headerLength, `headers.${HEADER_LENGTH_HEADER}`);
        decoded = oipWire.decodeInferRequest(parseJsonBytes(header, limits, oipWire.parseJsonLossless), tail);
      }
      const { request, binaryOutput } = decoded;
      const wire = { modelName: runner.name };
      const output = await runner.run<OutputOf<Task>>(mapping.decodeRequest(request, wire), signal);
      const response = oipWire.selectOutputs(
        mapping.encodeResponse(output, wire),
        request.outputs,
        runner.name,
      );
      const { body, headers } = oipWire.encodeInferResponse(
        {
          ...response,
          modelName: runner.name,
          modelVersion: MODEL_VERSION,
          id: request.id ?? crypto.randomUUID(),
        },
        binaryOutput,
      );
      return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
    });

    app.post(`${prefix}/generate`, async (c) => {
      const { runner, wire, input } = await generateRequest(c);
      const output = await runner.run<TextGenerationOutput>(input, c.get('scope').signal);
      return c.json(oipWire.generateMapping.encodeResponse(output, wire));
    });

    app.post(`${prefix}/generate_stream`, async (c) => {
      const { runner, wire, input } = await generateRequest(c);
      const scope = c.get('scope');
      // Opened before the 200: errors before the first chunk are an HTTP status, later ones an {error} event.
      const stream = await runner.stream<TextGenerationTask>(input, scope.signal);
      const release = scope.hold();
      async function* events() {
        try {
          for await (const chunk of stream) yield JSON.stringify(oipWire.encodeGenerateChunk(chunk, wire));
        } catch (error) {
          yield JSON.stringify(oipWire.errorBody(toHttpError(error).message));
        }
      }
      return sseResponse(events(), () => {
        void stream.close();
        release();
      });
    });
  }
}
