import type { EmbeddingOutput, TextGenerationOutput, TextGenerationTask } from '@mlkit/core';
import { openaiWire } from '@mlkit/core/protocols';
import type { Context } from 'hono';
import type { z } from 'zod';
import type { App, AppEnv, ServerContext } from '../context.ts';
import { type HttpError, inRequestTerms, toHttpError } from '../errors.ts';
import { type SseEvent, sseResponse } from '../sse.ts';
import { audioRoutes } from './audio.ts';

const {
  ChatCompletionRequest,
  CompletionRequest,
  EmbeddingsRequest,
  ResponsesRequest,
  chatCompletions,
  embeddings,
} = openaiWire;

const started = Math.floor(Date.now() / 1000);

/**
 * OpenAI-compatible routes: `/v1/models`, `/v1/chat/completions`, `/v1/completions` and
 * `/v1/responses` (each with SSE), `/v1/embeddings`, `/v1/audio/*` (audio.ts). The wire mappings are core's
 * `protocols/openai`; the routes only pick the model, run it and answer.
 */
export function openaiRoutes(
  app: App,
  context: ServerContext,
  reportStreamError: (error: HttpError) => void,
): void {
  // A failure inside a 200 stream: reported like any failed request, then sent as the wire's error event.
  const failureOf = (error: unknown) => {
    const httpError = toHttpError(error);
    reportStreamError(httpError);
    return httpError;
  };
  // The task's check and the model name the task's input (`input.tools[1].name`); the client is
  // told the field of its request, before the 200 and in a stream's error event alike.
  type RequestPathOf = Parameters<typeof inRequestTerms>[1];
  const inTermsOf =
    (requestPathOf: RequestPathOf) =>
    <T>(work: Promise<T>): Promise<T> =>
      work.catch((error: unknown) => {
        throw inRequestTerms(error, requestPathOf);
      });
  const failureIn = (requestPathOf: RequestPathOf) => (error: unknown) =>
    failureOf(inRequestTerms(error, requestPathOf));
  // The request stays in flight (shutdown waits for it) until its stream ends or the client leaves.
  const streamed = (
    scope: { hold(): () => void },
    stream: { close(): Promise<void> },
    events: AsyncIterable<string | SseEvent>,
  ) => {
    const release = scope.hold();
    return sseResponse(events, () => {
      void stream.close();
      release();
    });
  };
  // Every route: the body checked against its wire schema, then the model it names, which must run `task`.
  const request = async <S extends z.core.$ZodType<{ model: string }>>(
    c: Context<AppEnv>,
    schema: S,
    task: string,
    purpose: string,
  ) => {
    const body = await context.readBody(c, schema);
    const runner = context.runnerFor(body.model, [task], purpose);
    c.set('model', runner.name);
    return { body, runner };
  };
  const served = (runner: { name: string; task: string }) => ({ modelName: runner.name, task: runner.task });

  app.get('/v1/models', (c) =>
    c.json(openaiWire.modelList([...context.runners.values()].map(served), started)),
  );

  // Served names may contain slashes ("org/model"), as OpenAI-compatible servers allow.
  app.get('/v1/models/:model{.+}', (c) =>
    c.json(openaiWire.modelObject(served(context.runner(c.req.param('model'))), started)),
  );

  app.post('/v1/chat/completions', async (c) => {
    const { body, runner } = await request(c, ChatCompletionRequest, 'text-generation', 'chat completions');
    const wire = {
      modelName: body.model,
      capabilities: runner.model.capabilities,
      meta: openaiWire.newCompletionMeta(body.model),
    };
    const input = chatCompletions.decodeRequest(body, wire);
    const requestPathOf: RequestPathOf = (path) => openaiWire.chatRequestPathOf(body, path);
    const inTerms = inTermsOf(requestPathOf);
    const scope = c.get('scope');
    if (!body.stream) {
      const output = await inTerms(runner.run<TextGenerationOutput>(input, scope.signal));
      return c.json(chatCompletions.encodeResponse(output, wire));
    }
    const stream = await inTerms(runner.stream<TextGenerationTask>(input, scope.signal));
    const includeUsage = body.stream_options?.include_usage === true;
    return streamed(
      scope,
      stream,
      openaiWire.chatCompletionChunks(stream, wire.meta, includeUsage, failureIn(requestPathOf)),
    );
  });

  app.post('/v1/completions', async (c) => {
    const { body, runner } = await request(c, CompletionRequest, 'text-generation', 'completions');
    const inputs = openaiWire.toCompletionInputs(body, runner.model.capabilities);
    const meta = openaiWire.newTextCompletionMeta(body.model);
    const scope = c.get('scope');
    if (!body.stream) {
      const outputs = await Promise.all(
        inputs.map((input) => runner.run<TextGenerationOutput>(input, scope.signal)),
      );
      return c.json(openaiWire.toTextCompletion(outputs, meta));
    }
    // The first prompt's stream opens before the 200, so its errors are an HTTP status; the rest open in turn.
    const first = await runner.stream<TextGenerationTask>(inputs[0]!, scope.signal);
    const opens = inputs.map((input, index) =>
      index === 0 ? async () => first : () => runner.stream<TextGenerationTask>(input, scope.signal),
    );
    const includeUsage = body.stream_options?.include_usage === true;
    return streamed(scope, first, openaiWire.textCompletionChunks(opens, meta, includeUsage, failureOf));
  });

  app.post('/v1/responses', async (c) => {
    const { body, runner } = await request(c, ResponsesRequest, 'text-generation', 'responses');
    const input = openaiWire.toResponsesInput(body, { capabilities: runner.model.capabilities });
    const meta = openaiWire.newResponseMeta(body);
    const requestPathOf: RequestPathOf = (path) => openaiWire.responsesRequestPathOf(body, path);
    const inTerms = inTermsOf(requestPathOf);
    const scope = c.get('scope');
    if (!body.stream) {
      const output = await inTerms(runner.run<TextGenerationOutput>(input, scope.signal));
      return c.json(openaiWire.toResponse(output, meta));
    }
    const stream = await inTerms(runner.stream<TextGenerationTask>(input, scope.signal));
    return streamed(scope, stream, openaiWire.responseEvents(stream, meta, failureIn(requestPathOf)));
  });

  audioRoutes(app, context, { streamed, failureOf });

  app.post('/v1/embeddings', async (c) => {
    const { body, runner } = await request(c, EmbeddingsRequest, 'embedding', 'embeddings');
    const wire = {
      modelName: body.model,
      encodingFormat: body.encoding_format,
      capabilities: runner.model.capabilities,
    };
    const input = embeddings.decodeRequest(body, wire);
    const output = await runner.run<EmbeddingOutput>(input, c.get('scope').signal);
    return c.json(embeddings.encodeResponse(output, wire));
  });
}
