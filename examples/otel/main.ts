/**
 * OpenTelemetry for mlkit: one local model call traced with the GenAI semantic conventions and its
 * spans printed by the SDK's ConsoleSpanExporter.
 *
 *   node examples/otel/main.ts
 *
 * It loads the repository's tiny-gpt fixture (a real ONNX decoder with random weights: the text is
 * noise) with @mlkit/onnx, wraps it with `instrument()` from @mlkit/core/otel, and asks it once with
 * `run()` and once with `stream()`. Each call prints a span "chat <model>" with `gen_ai.operation.name`,
 * `gen_ai.provider.name`, `gen_ai.request.*`, `gen_ai.response.finish_reasons` and `gen_ai.usage.*`
 * (the stream's also `gen_ai.request.stream` and `gen_ai.response.time_to_first_chunk`). In an app,
 * register the SDK of your choice (e.g. @opentelemetry/sdk-node with an OTLP exporter) instead.
 */
import { instrument } from '@mlkit/core/otel';
import { loadModel } from '@mlkit/onnx';
import { trace } from '@opentelemetry/api';
import { ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ensureFixtures, fixturePath } from '../../test/fixtures/paths.ts';

// The SDK, registered globally: instrument() takes the global tracer unless given one.
const provider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })],
});
trace.setGlobalTracerProvider(provider);

ensureFixtures();
const model = instrument(await loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }), {
  requestModel: 'tiny-gpt', // the id names the folder's path; the span is "chat tiny-gpt"
});

const answer = await model.run({ prompt: 'Hello', maxTokens: 8, temperature: 0 });
console.log(`run: ${answer.usage.outputTokens} tokens, finish ${answer.finishReason}`);

let chunks = 0;
for await (const _chunk of model.stream({ prompt: 'Hello again', maxTokens: 8, temperature: 0 })) chunks++;
console.log(`stream: ${chunks} chunks`);

await model.dispose();
await provider.shutdown(); // flushes the spans still queued
