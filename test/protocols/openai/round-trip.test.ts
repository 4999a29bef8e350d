// The OpenAI mappings both ways: each client encoding read back by the server half gives the input
// again, each server answer read back by the client half gives the output again; and end to end,
// client -> @mlkit/server -> fixture model -> back equals calling the model directly.
import {
  createOpenAICompatible,
  type EmbeddingTask,
  InvalidInputError,
  type Model,
  type TextGenerationChunk,
  type TextGenerationTask,
  textGeneration,
  UnsupportedError,
} from '@mlkit/core';
import { openaiWire } from '@mlkit/core/protocols';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { type Listening, listen } from '@mlkit/server/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, fixturePath } from '../../fixtures/paths.ts';

const { chatCompletions, embeddings } = openaiWire;

/** What travels: JSON text, read back with the wire schema of the receiving side. */
const overTheWire = <T>(schema: { parse(value: unknown): T }, value: unknown): T =>
  schema.parse(JSON.parse(JSON.stringify(value)));

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* from<T>(items: T[], failure?: Error): AsyncGenerator<T> {
  yield* items;
  if (failure) throw failure;
}

/** Server payloads as the client's transport hands them over: `data:` events. */
async function* asEvents(payloads: AsyncIterable<string>) {
  for await (const data of payloads) yield { event: undefined, data };
}

const meta = { id: 'chatcmpl-1', created: 1_700_000_000, model: 'tiny-gpt' };

describe('openai chat completions mapping', () => {
  it('reads back a messages input with every sampling field as the same input', () => {
    const input = textGeneration.input.parse({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      maxTokens: 12,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      stop: ['\n\n', 'END'],
      seed: 7,
      frequencyPenalty: 0.5,
      presencePenalty: -0.5,
      logitBias: { 50256: -100 },
    });
    const body = overTheWire(
      openaiWire.ChatCompletionRequest,
      chatCompletions.encodeRequest(input, { modelName: 'tiny-gpt' }),
    );
    const read = chatCompletions.decodeRequest(body, {
      modelName: 'tiny-gpt',
      capabilities: { logitAdjustments: true },
    });
    expect(textGeneration.input.parse(read)).toEqual(input);
  });

  it('reads back a prompt input as one user message', () => {
    const input = textGeneration.input.parse({ prompt: 'Once upon a time', maxTokens: 3 });
    const body = overTheWire(
      openaiWire.ChatCompletionRequest,
      chatCompletions.encodeRequest(input, { modelName: 'm' }),
    );
    expect(chatCompletions.decodeRequest(body, { modelName: 'm' })).toEqual({
      messages: [{ role: 'user', content: 'Once upon a time' }],
      maxTokens: 3,
    });
  });

  it('reads back an output as the same output', () => {
    const output = {
      text: 'You said: hi',
      finishReason: 'length' as const,
      usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 },
    };
    const body = overTheWire(
      openaiWire.ChatCompletion,
      chatCompletions.encodeResponse(output, { modelName: 'm', meta }),
    );
    expect(chatCompletions.decodeResponse(body, { modelName: 'm' })).toEqual({
      ...output,
      rawFinishReason: 'length',
    });
  });

  it('reads back a stream as the same chunks, usage included', async () => {
    const chunks: TextGenerationChunk[] = [
      { type: 'text-delta', text: 'You ' },
      { type: 'text-delta', text: 'said' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 2, outputTokens: 2, totalTokens: 4 } },
    ];
    const expected = chunks.map((chunk) =>
      chunk.type === 'finish' ? { ...chunk, rawFinishReason: 'stop' } : chunk,
    );
    const payloads = openaiWire.chatCompletionChunks(from(chunks), meta, true, () => {
      throw new Error('no failure expected');
    });
    expect(await collect(openaiWire.chatCompletionStream(asEvents(payloads), 'mlkit'))).toEqual(expected);
  });

  it('reads back a failure inside the stream as the same kind of error', async () => {
    const payloads = openaiWire.chatCompletionChunks(
      from([{ type: 'text-delta', text: 'a' }], new InvalidInputError('prompt too long')),
      meta,
      false,
      (error) => ({ status: 400, code: 'invalid_input', message: (error as Error).message }),
    );
    const seen: TextGenerationChunk[] = [];
    const error = await (async () => {
      for await (const chunk of openaiWire.chatCompletionStream(asEvents(payloads), 'mlkit'))
        seen.push(chunk);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ type: 'text-delta', text: 'a' }]);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain('prompt too long');
  });

  it('refuses tools with an UnsupportedError naming the tools parameter', () => {
    const body = openaiWire.ChatCompletionRequest.parse({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f' } }],
    });
    let error: unknown;
    try {
      chatCompletions.decodeRequest(body, { modelName: 'm' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as UnsupportedError).param).toBe('tools');
  });
});

describe('openai embeddings mapping', () => {
  it('reads back texts with dimensions as the same input', () => {
    const input = { texts: ['a cat', 'a dog'], dimensions: 8 };
    const body = overTheWire(
      openaiWire.EmbeddingsRequest,
      embeddings.encodeRequest(input, { modelName: 'bert', encodingFormat: 'base64' }),
    );
    expect(embeddings.decodeRequest(body, { modelName: 'bert' })).toEqual(input);
  });

  it('reads back token ids as the same input for a model that takes them', () => {
    const input = {
      tokens: [
        [101, 7592, 102],
        [101, 102],
      ],
    };
    const body = overTheWire(
      openaiWire.EmbeddingsRequest,
      embeddings.encodeRequest(input, { modelName: 'bert' }),
    );
    expect(embeddings.decodeRequest(body, { modelName: 'bert', capabilities: { tokenInput: true } })).toEqual(
      input,
    );
  });

  for (const encodingFormat of ['float', 'base64'] as const) {
    it(`reads back an output sent as ${encodingFormat} as the same vectors and usage`, () => {
      const output = {
        embeddings: [Float32Array.from([0.1, -0.25, 3.5]), Float32Array.from([1e-7, 0, -1])],
        dimensions: 3,
        usage: { inputTokens: 6, totalTokens: 6 },
      };
      const wire = { modelName: 'bert', encodingFormat };
      const body = overTheWire(openaiWire.EmbeddingResponse, embeddings.encodeResponse(output, wire));
      expect(embeddings.decodeResponse(body, wire)).toEqual(output);
    });
  }
});

describe('openai end to end: client -> @mlkit/server -> fixture model -> back', () => {
  const API_KEY = 'sk-round-trip-0123456789';
  const messages = [
    { role: 'system' as const, content: 'You are brief.' },
    { role: 'user' as const, content: 'Hello there, how are you?' },
  ];
  let direct: { gpt: Model<TextGenerationTask>; bert: Model<EmbeddingTask> };
  let served: { gpt: Model<TextGenerationTask>; bert: Model<EmbeddingTask> };
  let listening: Listening;
  let sdk: OpenAI;

  beforeAll(async () => {
    ensureFixtures();
    const load = () =>
      Promise.all([
        loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }),
        loadModel(fixturePath('tiny-bert'), { task: 'embedding' }),
      ]);
    const [[gpt, bert], [serverGpt, serverBert]] = await Promise.all([load(), load()]);
    direct = { gpt, bert };
    listening = await listen(
      createServer({ models: { 'tiny-gpt': serverGpt, 'tiny-bert': serverBert }, apiKeys: [API_KEY] }),
      { port: 0, host: '127.0.0.1' },
    );
    const client = createOpenAICompatible({
      name: 'mlkit',
      baseURL: `${listening.url}/v1`,
      apiKey: API_KEY,
      maxRetries: 0,
    });
    served = { gpt: client.textGeneration('tiny-gpt'), bert: client.embedding('tiny-bert') };
    sdk = new OpenAI({ baseURL: `${listening.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await listening?.close({ graceMs: 1000 });
    await Promise.all([direct?.gpt.dispose(), direct?.bert.dispose()]);
  });

  it('text-generation run gives the text, finish reason and token counts of the direct call', async () => {
    const input = { messages, temperature: 0, maxTokens: 12 };
    const [expected, actual] = await Promise.all([direct.gpt.run(input), served.gpt.run(input)]);
    expect(actual.text).toBe(expected.text);
    expect(actual.finishReason).toBe(expected.finishReason);
    expect(actual.usage.inputTokens).toBe(expected.usage.inputTokens);
    expect(actual.usage.outputTokens).toBe(expected.usage.outputTokens);
  });

  it('text-generation stream gives the text and finish chunk of the direct stream', async () => {
    const input = { messages, temperature: 0, maxTokens: 12 };
    const textOf = (chunks: TextGenerationChunk[]) =>
      chunks.map((chunk) => (chunk.type === 'text-delta' ? chunk.text : '')).join('');
    const [expected, actual] = await Promise.all([
      collect(direct.gpt.stream(input)),
      collect(served.gpt.stream(input)),
    ]);
    expect(textOf(actual)).toBe(textOf(expected));
    const [expectedFinish, actualFinish] = [expected.at(-1), actual.at(-1)] as Extract<
      TextGenerationChunk,
      { type: 'finish' }
    >[];
    expect(actualFinish!.finishReason).toBe(expectedFinish!.finishReason);
    expect(actualFinish!.usage.outputTokens).toBe(expectedFinish!.usage.outputTokens);
  });

  it('embedding gives the vectors of the direct call', async () => {
    const input = { texts: ['a cat sat on the mat', 'ok'] };
    const [expected, actual] = await Promise.all([direct.bert.run(input), served.bert.run(input)]);
    expect(actual.dimensions).toBe(expected.dimensions);
    // base64 float32 on the wire: the same bits arrive.
    expect(actual.embeddings).toEqual(expected.embeddings);
  });

  it('completions through the openai SDK give the continuation of the direct call', async () => {
    const prompt = 'Once upon a time';
    const expected = await direct.gpt.run({ prompt, temperature: 0, maxTokens: 8 });
    const completion = await sdk.completions.create({
      model: 'tiny-gpt',
      prompt,
      temperature: 0,
      max_tokens: 8,
    });
    expect(completion.choices[0]!.text).toBe(expected.text);
    expect(completion.usage?.completion_tokens).toBe(expected.usage.outputTokens);
  });

  it('responses through the openai SDK give the text of the direct call, instructions as the system turn', async () => {
    const expected = await direct.gpt.run({ messages, temperature: 0, maxTokens: 10 });
    const response = await sdk.responses.create({
      model: 'tiny-gpt',
      instructions: messages[0]!.content,
      input: messages[1]!.content,
      temperature: 0,
      max_output_tokens: 10,
    });
    expect(response.output_text).toBe(expected.text);
    expect(response.usage?.output_tokens).toBe(expected.usage.outputTokens);
  });
});
