/**
 * What the package loads only when a call needs it, import()ed as one module: the JSON Schema checks of
 * tool calls and json answers (text-generation), and the OpenAI-compatible provider's embedding,
 * transcription and speech models. One module, not one each: esbuild's code splitting puts a module
 * shared by the page's entry and N lazy modules into a chunk per set of importers, so N lazy modules
 * leave several small shared chunks that every page loads, each gzipped alone (31.3 kB before the
 * first call with four, 29.4 kB with this one and the stream decoder's). The cost: the first call that
 * needs any of it loads all of it (13 kB gzipped). The stream decoder (http/sse.ts) stays apart:
 * streaming chat is the common case and needs only it (2.2 kB).
 */

export { embeddingModel } from './providers/openai-compatible/embeddings-calls.ts';
export { speechModel } from './providers/openai-compatible/speech-calls.ts';
export { transcriptionModel } from './providers/openai-compatible/transcription-calls.ts';
export { checkTextGeneration, checkTextGenerationStream } from './tasks/text-generation-check.ts';
