import type { EmbeddingOutput, TextGenerationOutput, TextGenerationTask } from '@mlkit/core';
import type { App, ServerContext } from '../context.ts';
import type { HttpError } from '../errors.ts';
import { sseResponse } from '../sse.ts';
import { chatCompletionChunks, newCompletionMeta, toChatCompletion, toGenerationInput } from './chat.ts';
import {
  newTextCompletionMeta,
  textCompletionChunks,
  toCompletionInputs,
  toTextCompletion,
} from './completions.ts';
import { toEmbeddingInput, toEmbeddingsResponse } from './embeddings.ts';
import { newResponseMeta, responseEvents, toResponse, toResponsesInput } from './responses.ts';
import { ChatCompletionRequest, CompletionRequest, EmbeddingsRequest, ResponsesRequest } from './schemas.ts';

const started = Math.floor(Date.now() / 1000);

/**
 * OpenAI-compatible routes: `/v1/models`, `/v1/chat/completions`, `/v1/completions` and
 * `/v1/responses` (each with SSE), `/v1/embeddings`.
 */
export function openaiRoutes(
  app: App,
  context: ServerContext,
  reportStreamError: (error: HttpError) => void,
): void {
  const describe = (name: string, task: string) => ({
    id: name,
    object: 'model',
    created: started,
    owned_by: 'mlkit',
    task,
  });

  app.get('/v1/models', (c) =>
    c.json({ object: 'list', data: [...context.runners.values()].map((r) => describe(r.name, r.task)) }),
  );

  // Served names may contain slashes ("org/model"), as OpenAI-compatible servers allow.
  app.get('/v1/models/:model{.+}', (c) => {
    const runner = context.runner(c.req.param('model'));
    return c.json(describe(runner.name, runner.task));
  });

  app.post('/v1/chat/completions', async (c) => {
    const body = await context.readBody(c, ChatCompletionRequest);
    const runner = context.runnerFor(body.model, ['text-generation'], 'chat completions');
    c.set('model', runner.name);
    const input = toGenerationInput(body, runner.model.capabilities);
    const meta = newCompletionMeta(body.model);
    const scope = c.get('scope');
    if (!body.stream) {
      const output = await runner.run<TextGenerationOutput>(input, scope.signal);
      return c.json(toChatCompletion(output, meta));
    }
    const stream = await runner.stream<TextGenerationTask>(input, scope.signal);
    const release = scope.hold();
    const includeUsage = body.stream_options?.include_usage === true;
    return sseResponse(chatCompletionChunks(stream, meta, includeUsage, reportStreamError), () => {
      void stream.close();
      release();
    });
  });

  app.post('/v1/completions', async (c) => {
    const body = await context.readBody(c, CompletionRequest);
    const runner = context.runnerFor(body.model, ['text-generation'], 'completions');
    c.set('model', runner.name);
    const inputs = toCompletionInputs(body, runner.model.capabilities);
    const meta = newTextCompletionMeta(body.model);
    const scope = c.get('scope');
    if (!body.stream) {
      const outputs = await Promise.all(
        inputs.map((input) => runner.run<TextGenerationOutput>(input, scope.signal)),
      );
      return c.json(toTextCompletion(outputs, meta));
    }
    // The first prompt's stream opens before the 200, so its errors are an HTTP status; the rest open in turn.
    const first = await runner.stream<TextGenerationTask>(inputs[0]!, scope.signal);
    const opens = inputs.map((input, index) =>
      index === 0 ? async () => first : () => runner.stream<TextGenerationTask>(input, scope.signal),
    );
    const release = scope.hold();
    const includeUsage = body.stream_options?.include_usage === true;
    return sseResponse(textCompletionChunks(opens, meta, includeUsage, reportStreamError), () => {
      void first.close();
      release();
    });
  });

  app.post('/v1/responses', async (c) => {
    const body = await context.readBody(c, ResponsesRequest);
    const runner = context.runnerFor(body.model, ['text-generation'], 'responses');
    c.set('model', runner.name);
    const input = toResponsesInput(body);
    const meta = newResponseMeta(body);
    const scope = c.get('scope');
    if (!body.stream) {
      const output = await runner.run<TextGenerationOutput>(input, scope.signal);
      return c.json(toResponse(output, meta));
    }
    const stream = await runner.stream<TextGenerationTask>(input, scope.signal);
    const release = scope.hold();
    return sseResponse(responseEvents(stream, meta, reportStreamError), () => {
      void stream.close();
      release();
    });
  });

  app.post('/v1/embeddings', async (c) => {
    const body = await context.readBody(c, EmbeddingsRequest);
    const runner = context.runnerFor(body.model, ['embedding'], 'embeddings');
    c.set('model', runner.name);
    const input = toEmbeddingInput(body, runner.model.capabilities);
    const output = await runner.run<EmbeddingOutput>(input, c.get('scope').signal);
    return c.json(toEmbeddingsResponse(output, body));
  });
}
