import type { EmbeddingOutput, TextGenerationOutput, TextGenerationTask } from '@mlkit/core';
import type { App, ServerContext } from '../context.ts';
import type { HttpError } from '../errors.ts';
import { sseResponse } from '../sse.ts';
import { chatCompletionChunks, newCompletionMeta, toChatCompletion, toGenerationInput } from './chat.ts';
import { toEmbeddingInput, toEmbeddingsResponse } from './embeddings.ts';
import { ChatCompletionRequest, EmbeddingsRequest } from './schemas.ts';

const started = Math.floor(Date.now() / 1000);

/** OpenAI-compatible routes: `/v1/models`, `/v1/chat/completions` (with SSE), `/v1/embeddings`. */
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
    const input = toGenerationInput(body);
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

  app.post('/v1/embeddings', async (c) => {
    const body = await context.readBody(c, EmbeddingsRequest);
    const runner = context.runnerFor(body.model, ['embedding'], 'embeddings');
    c.set('model', runner.name);
    const output = await runner.run<EmbeddingOutput>(toEmbeddingInput(body), c.get('scope').signal);
    return c.json(toEmbeddingsResponse(output, body));
  });
}
