import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createModel,
  createPredict,
  InvalidInputError,
  ResponseValidationError,
} from '../../../src/index.ts';
import { mockServer, recorder } from '../openai-compatible/support.ts';

const URL = 'http://predict.test/predict/iris';
const server = mockServer();
const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [7.7, 2.6, 6.9, 2.3],
  [6.0, 2.2, 4.0, 1.0],
];

function answer(reply: (body: any) => unknown, init?: ResponseInit) {
  const log = recorder();
  server.use(
    http.post(URL, async ({ request }) => {
      await log.record(request);
      return HttpResponse.json(reply(await request.json()) as object, init);
    }),
  );
  return log;
}

/** What the FastAPI peer (bench/peers/fastapi_predict.py) answers: labels and confidences, no scores. */
const sklearnAnswer = (body: { data: number[][] }) => ({
  prediction: body.data.map((row) => (row[2]! < 2 ? 'setosa' : 'virginica')),
  confidence: body.data.map(() => 0.9),
});

describe('predict client: defaults', () => {
  it('sends all rows in one {"data": rows} request to the URL', async () => {
    const log = answer(sklearnAnswer);
    await createPredict({ url: URL, maxRetries: 0 }).run({ rows });
    expect(log.requests).toHaveLength(1);
    expect(log.requests[0]!.url).toBe(URL);
    expect(log.requests[0]!.body).toEqual({ data: rows });
  });

  it('reads prediction and confidence arrays as one prediction per row', async () => {
    answer(sklearnAnswer);
    const { predictions } = await createPredict({ url: URL, maxRetries: 0 }).run({ rows });
    expect(predictions.map((p) => p.label)).toEqual(['setosa', 'virginica', 'virginica']);
    expect(predictions[0]).toEqual({ label: 'setosa', score: 0.9, scores: { setosa: 0.9 } });
  });

  it('keeps every label score when the API sends scores', async () => {
    answer(() => ({ prediction: ['a'], confidence: [0.6], scores: [{ a: 0.6, b: 0.4 }] }));
    const { predictions } = await createPredict({ url: URL, maxRetries: 0 }).run({ rows: [rows[0]!] });
    expect(predictions[0]!.scores).toEqual({ a: 0.6, b: 0.4 });
  });

  it('sends texts as {"text": [...]}', async () => {
    const log = answer(() => ({ prediction: ['POSITIVE'], confidence: [0.99] }));
    await createPredict({ url: URL, maxRetries: 0 }).run({ text: 'great' });
    expect(log.requests[0]!.body).toEqual({ text: ['great'] });
  });

  it('splits rows into requests of at most maxBatch', async () => {
    const log = answer(sklearnAnswer);
    const { predictions } = await createPredict({ url: URL, maxRetries: 0, batch: { maxBatch: 2 } }).run({
      rows,
    });
    expect(log.requests.map((r) => r.body.data.length).sort()).toEqual([1, 2]);
    expect(predictions).toHaveLength(3);
  });

  it('with batch: false sends each row bare as {"data": row} and reads the one-value answers', async () => {
    const log = answer((body) => ({
      prediction: body.data[2] < 2 ? 'setosa' : 'virginica',
      confidence: 0.6,
    }));
    const { predictions } = await createPredict({ url: URL, maxRetries: 0, batch: false }).run({ rows });
    expect(log.requests.map((r) => r.body).sort((a, b) => a.data[0] - b.data[0])).toEqual(
      [...rows].sort((a, b) => a[0]! - b[0]!).map((row) => ({ data: row })),
    );
    expect(predictions.map((p) => p.label)).toEqual(['setosa', 'virginica', 'virginica']);
    expect(predictions[0]!.score).toBe(0.6);
  });

  it('keeps the query string of the URL', async () => {
    const log = recorder();
    server.use(
      http.post('http://predict.test/score', async ({ request }) => {
        await log.record(request);
        return HttpResponse.json({ prediction: 'a', confidence: 1 });
      }),
    );
    await createPredict({ url: 'http://predict.test/score?version=2', maxRetries: 0 }).run({
      rows: [rows[0]!],
    });
    expect(log.requests[0]!.url).toBe('http://predict.test/score?version=2');
  });
});

describe('predict client: declared mapping', () => {
  it('builds the body with `request` and reads the answer with a `response` function', async () => {
    const log = answer((body) => ({ class: body.features[2] < 2 ? 0 : 2, p: 0.75 }));
    const model = createPredict({
      url: URL,
      maxRetries: 0,
      batch: false,
      request: ([row]) => ({ features: row }),
      response: (body: any) => ({
        label: ['setosa', 'versicolor', 'virginica'][body.class]!,
        score: body.p,
        scores: {},
      }),
    });
    const { predictions } = await model.run({ rows: [rows[0]!, rows[1]!] });
    expect(log.requests.map((r) => r.body)).toEqual([{ features: rows[0] }, { features: rows[1] }]);
    expect(predictions.map((p) => p.label)).toEqual(['setosa', 'virginica']);
  });

  it('takes a `response` function that returns the task output {predictions}', async () => {
    answer(() => ({ labels: ['a', 'b'] }));
    const model = createPredict({
      url: URL,
      maxRetries: 0,
      response: (body: any) => ({
        predictions: body.labels.map((label: string) => ({ label, score: 1, scores: { [label]: 1 } })),
      }),
    });
    const { predictions } = await model.run({ rows: [rows[0]!, rows[1]!] });
    expect(predictions.map((p) => p.label)).toEqual(['a', 'b']);
  });

  it('reads the answer with a zod `response` schema', async () => {
    answer(() => ({ results: [{ name: 'fraud', probability: 0.97 }] }));
    const response = z
      .object({ results: z.array(z.object({ name: z.string(), probability: z.number() })) })
      .transform(({ results }) => results.map((r) => ({ label: r.name, score: r.probability, scores: {} })));
    const { predictions } = await createPredict({ url: URL, maxRetries: 0, response }).run({
      rows: [rows[0]!],
    });
    expect(predictions).toEqual([{ label: 'fraud', score: 0.97, scores: {} }]);
  });

  it('names the path when the answer does not fit the `response` schema', async () => {
    answer(() => ({ results: 'nope' }));
    const response = z
      .object({
        results: z.array(
          z.object({ label: z.string(), score: z.number(), scores: z.record(z.string(), z.number()) }),
        ),
      })
      .transform((b) => b.results);
    const error = await createPredict({ url: URL, maxRetries: 0, response })
      .run({ rows: [rows[0]!] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as Error).message).toContain('response.results');
  });

  it('refuses a `response` function that returns something other than predictions', async () => {
    answer(() => ({ ok: true }));
    const error = await createPredict({ url: URL, maxRetries: 0, response: (body) => body as never })
      .run({ rows: [rows[0]!] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
  });

  it('refuses a concurrency of 0 before any request', () => {
    expect(() => createPredict({ url: URL, concurrency: 0 })).toThrow(InvalidInputError);
  });

  it('refuses a relative URL before any request', () => {
    expect(() => createPredict({ url: '/predict' })).toThrow(/absolute URL/);
  });
});

describe('predict client: errors', () => {
  it("turns FastAPI's 422 detail into an InvalidInputError whose issues carry the loc paths", async () => {
    answer(
      () => ({
        detail: [
          {
            type: 'float_parsing',
            loc: ['body', 'data', 0, 1],
            msg: 'Input should be a valid number',
            input: 'x',
          },
        ],
      }),
      { status: 422 },
    );
    const error = await createPredict({ url: URL, maxRetries: 0 })
      .run({ rows: [rows[0]!] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).status).toBe(422);
    expect((error as InvalidInputError).issues).toEqual([
      { path: 'body.data[0][1]', message: 'Input should be a valid number' },
    ]);
  });

  it('reads a 404 as NotFoundError', async () => {
    answer(() => ({ detail: 'Not Found' }), { status: 404 });
    const error = await createPredict({ url: URL, maxRetries: 0 })
      .run({ rows })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('not_found');
  });
});

describe('predict: scheme', () => {
  it('createModel("predict:<url>") classifies over that URL', async () => {
    const log = answer(sklearnAnswer);
    const model = await createModel(`predict:${URL}`, { task: 'classification', maxRetries: 0 });
    expect(model.id).toBe(`predict:${URL}`);
    await model.run({ rows: [rows[0]!] });
    expect(log.requests).toHaveLength(1);
  });

  it('createModel("predict:...") refuses another task', async () => {
    await expect(createModel(`predict:${URL}`, { task: 'embedding' as never })).rejects.toThrow(
      /run classification, image-classification, object-detection, not "embedding"/,
    );
  });
});

describe('predict client: retries', () => {
  it('retries a 503 and answers from the next attempt', async () => {
    let attempts = 0;
    server.use(
      http.post(URL, () => {
        attempts++;
        if (attempts === 1) return HttpResponse.json({ detail: 'warming up' }, { status: 503 });
        return HttpResponse.json({ prediction: 'a', confidence: 1 });
      }),
    );
    const model = createPredict({ url: URL, maxRetries: 1, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    expect((await model.run({ rows: [rows[0]!] })).predictions[0]!.label).toBe('a');
    expect(attempts).toBe(2);
  });

  it('does not retry a 422', async () => {
    let attempts = 0;
    server.use(
      http.post(URL, () => {
        attempts++;
        return HttpResponse.json({ detail: [{ loc: ['body'], msg: 'bad' }] }, { status: 422 });
      }),
    );
    const model = createPredict({ url: URL, maxRetries: 2, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(model.run({ rows: [rows[0]!] })).rejects.toThrow(InvalidInputError);
    expect(attempts).toBe(1);
  });
});
