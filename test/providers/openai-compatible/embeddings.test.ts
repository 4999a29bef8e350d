import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createOpenAICompatible, type EmbeddingSettings } from '../../../src/index.ts';
import { decodeBase64Embedding } from '../../../src/protocols/openai/embeddings.ts';
import { BASE_URL, failure, mockServer, recorder } from './support.ts';

const server = mockServer();
const embedder = (settings?: EmbeddingSettings) =>
  createOpenAICompatible({ name: 'tei', baseURL: BASE_URL, maxRetries: 0 }).embedding('bge-small', settings);

/** The vector the fake server returns for a text: [length, first char code, 0.5]. */
const vectorOf = (text: string) => [text.length, text.charCodeAt(0) || 0, 0.5];
const base64Of = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');

/** A fake embeddings endpoint: base64 when asked, optional reversed order and per-request delay. */
function embeddings(
  options: { reverse?: boolean; delayMs?: (input: string[]) => number; floatsOnly?: boolean } = {},
) {
  const log = recorder();
  let inFlight = 0;
  const peak = { inFlight: 0 };
  server.use(
    http.post(`${BASE_URL}/embeddings`, async ({ request }) => {
      inFlight++;
      peak.inFlight = Math.max(peak.inFlight, inFlight);
      await log.record(request);
      const { input, encoding_format } = (await request.json()) as {
        input: string[];
        encoding_format?: string;
      };
      await delay(options.delayMs?.(input) ?? 0);
      inFlight--;
      const base64 = encoding_format === 'base64' && !options.floatsOnly;
      const data = input.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: base64 ? base64Of(vectorOf(text)) : vectorOf(text),
      }));
      if (options.reverse) data.reverse();
      return HttpResponse.json({
        object: 'list',
        data,
        usage: { prompt_tokens: input.length, total_tokens: input.length },
      });
    }),
  );
  return { log, peak };
}

describe('openai-compatible embeddings', () => {
  it('asks for base64 and decodes it to Float32Array vectors', async () => {
    const { log } = embeddings();
    const output = await embedder().run({ texts: ['hello', 'hi'] });
    expect(log.requests[0]!.body).toEqual({
      model: 'bge-small',
      input: ['hello', 'hi'],
      encoding_format: 'base64',
    });
    expect(output.embeddings[0]).toBeInstanceOf(Float32Array);
    expect(Array.from(output.embeddings[0]!)).toEqual([5, 104, 0.5]);
    expect(Array.from(output.embeddings[1]!)).toEqual([2, 104, 0.5]);
    expect(output.dimensions).toBe(3);
    expect(output.usage).toEqual({ inputTokens: 2, totalTokens: 2 });
  });

  it('reads number arrays from a server that ignores encoding_format', async () => {
    embeddings({ floatsOnly: true });
    const output = await embedder().run({ texts: ['abc'] });
    expect(output.embeddings[0]).toBeInstanceOf(Float32Array);
    expect(Array.from(output.embeddings[0]!)).toEqual([3, 97, 0.5]);
  });

  it("sends encoding_format 'float' when forced", async () => {
    const { log } = embeddings();
    const output = await embedder({ encodingFormat: 'float' }).run({ texts: ['abc'] });
    expect(log.requests[0]!.body.encoding_format).toBe('float');
    expect(Array.from(output.embeddings[0]!)).toEqual([3, 97, 0.5]);
  });

  it('passes dimensions through', async () => {
    const { log } = embeddings();
    await embedder().run({ texts: ['abc'], dimensions: 3 });
    expect(log.requests[0]!.body.dimensions).toBe(3);
  });

  it('puts vectors back in input order when the server answers out of order', async () => {
    embeddings({ reverse: true });
    const output = await embedder().run({ texts: ['a', 'bb', 'ccc'] });
    expect(output.embeddings.map((vector) => vector[0])).toEqual([1, 2, 3]);
  });

  it('splits 5 texts with maxBatchSize 2 into 3 requests and keeps their order, even when later batches finish first', async () => {
    const { log } = embeddings({ delayMs: (input) => (input[0] === 'a' ? 40 : 0) });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const output = await embedder({ maxBatchSize: 2 }).run({ texts });
    const batches = log.requests.map((request) => request.body.input as string[]);
    expect(batches.sort((a, b) => a[0]!.length - b[0]!.length)).toEqual([
      ['a', 'bb'],
      ['ccc', 'dddd'],
      ['eeeee'],
    ]);
    expect(output.embeddings.map((vector) => vector[0])).toEqual([1, 2, 3, 4, 5]);
    expect(output.usage).toEqual({ inputTokens: 5, totalTokens: 5 });
  });

  it('keeps at most `concurrency` batch requests in flight', async () => {
    const { log, peak } = embeddings({ delayMs: () => 10 });
    const texts = Array.from({ length: 12 }, (_, i) => `text ${i}`);
    await embedder({ maxBatchSize: 2, concurrency: 2 }).run({ texts });
    expect(log.requests).toHaveLength(6);
    expect(peak.inFlight).toBe(2);
  });

  it('rejects with the first failing batch and starts no further batches', async () => {
    const log = recorder();
    server.use(
      http.post(`${BASE_URL}/embeddings`, async ({ request }) => {
        await log.record(request);
        return HttpResponse.json({ error: { message: 'input too long' } }, { status: 400 });
      }),
    );
    const texts = Array.from({ length: 10 }, (_, i) => `t${i}`);
    const error = await failure(embedder({ maxBatchSize: 1, concurrency: 2 }).run({ texts }));
    expect(error).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(log.requests.length).toBeLessThanOrEqual(2);
  });

  it('declares batching and its batch size', () => {
    expect(embedder({ maxBatchSize: 64 }).capabilities).toEqual({
      streaming: false,
      batching: true,
      maxBatch: 64,
      local: false,
      tokenInput: true,
    });
    expect(embedder().capabilities.maxBatch).toBe(2048);
  });

  it('refuses a maxBatchSize that is not a positive integer', () => {
    expect(() => embedder({ maxBatchSize: 0 })).toThrow(/maxBatchSize must be a positive integer/);
  });

  it('rejects invalid input before any request', async () => {
    const { log } = embeddings();
    expect(await failure(embedder().run({ texts: [] }))).toMatchObject({ code: 'invalid_input' });
    expect(log.requests).toHaveLength(0);
  });

  it('rejects a response with fewer vectors than texts with ResponseValidationError', async () => {
    server.use(
      http.post(`${BASE_URL}/embeddings`, () =>
        HttpResponse.json({ data: [{ index: 0, embedding: [1, 2] }], usage: null }),
      ),
    );
    const error = await failure(embedder().run({ texts: ['a', 'b'] }));
    expect(error).toMatchObject({ code: 'response_validation' });
    expect(error.message).toMatch(/1 embeddings for 2 texts/);
  });

  it('rejects vectors of different lengths with ResponseValidationError', async () => {
    server.use(
      http.post(`${BASE_URL}/embeddings`, () =>
        HttpResponse.json({
          data: [
            { index: 0, embedding: [1, 2] },
            { index: 1, embedding: [1, 2, 3] },
          ],
        }),
      ),
    );
    expect(await failure(embedder().run({ texts: ['a', 'b'] }))).toMatchObject({
      code: 'response_validation',
    });
  });

  it('rejects a base64 embedding that is not whole float32 values', () => {
    expect(() => decodeBase64Embedding(Buffer.from([1, 2, 3]).toString('base64'), 'tei')).toThrow(
      /not a whole number of float32/,
    );
  });
});
