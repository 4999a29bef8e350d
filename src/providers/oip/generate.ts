/** Text generation over the generate extension: `POST .../generate`, and `.../generate_stream` (SSE). */
import { defineModel } from '../../define-model.ts';
import { ResponseValidationError } from '../../errors.ts';
import type { Transport } from '../../http/types.ts';
import type { Model, ModelEvent } from '../../model.ts';
import { decodeGenerateEvent, generateMapping } from '../../protocols/oip-v2/generate.ts';
import { GenerateResponse } from '../../protocols/oip-v2/schemas.ts';
import { type TextGenerationTask, textGeneration } from '../../tasks/text-generation.ts';
import { callOptions } from '../openai-compatible/request.ts';
import { modelPath } from './server.ts';

/** Options of `provider.textGeneration(model, settings)`. */
export interface GenerateSettings {
  /** The model version to call (`/versions/{v}`). */
  version?: string;
}

/** A text-generation Model over the generate extension of one OIP v2 server. */
export function createGenerateModel(
  modelName: string,
  context: { provider: string; transport: Transport; onEvent?: ((event: ModelEvent) => void) | undefined },
  settings: GenerateSettings = {},
): Model<TextGenerationTask> {
  const { provider, transport } = context;
  const path = modelPath(modelName, settings.version);
  const wire = { modelName };
  return defineModel({
    id: `${provider}:${modelName}${settings.version === undefined ? '' : `/versions/${settings.version}`}`,
    task: textGeneration,
    // text_input carries one prompt: no tools, no json schema, no images (refused before any request).
    capabilities: {
      streaming: true,
      batching: false,
      local: false,
      tools: false,
      jsonSchema: false,
      images: false,
    },
    onEvent: context.onEvent,
    async run(input, call) {
      const body = await transport.json({
        ...callOptions(call),
        path: `${path}/generate`,
        body: generateMapping.encodeRequest(input, wire),
        schema: GenerateResponse,
      });
      return generateMapping.decodeResponse(body, wire);
    },
    async *stream(input, call) {
      const events = transport.stream({
        ...callOptions(call),
        path: `${path}/generate_stream`,
        body: generateMapping.encodeRequest(input, wire),
      });
      let finished = false;
      for await (const event of events) {
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch (cause) {
          throw new ResponseValidationError(`${provider} sent a generate_stream event that is not JSON`, {
            provider,
            cause,
          });
        }
        for (const chunk of decodeGenerateEvent(data, provider)) {
          if (chunk.type === 'finish') finished = true;
          yield chunk;
        }
      }
      // Triton's events carry no end marker: the stream's end is the finish.
      if (!finished) yield { type: 'finish', finishReason: 'stop', usage: {} };
    },
  });
}
