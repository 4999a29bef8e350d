import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPredict, InvalidInputError } from '../../../src/index.ts';

let listening: Server | undefined;
afterEach(() => {
  listening?.closeAllConnections();
  listening?.close();
  listening = undefined;
});

/** A node:http server on 127.0.0.1:0 answering JSON bodies with `handle`; returns its URL. */
async function serve(handle: (body: any) => Promise<{ status: number; body: unknown }>): Promise<string> {
  listening = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const answer = await handle(JSON.parse(text));
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  listening.listen(0, '127.0.0.1');
  await once(listening, 'listening');
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/predict`;
}

describe('predict client against loopback servers', () => {
  it('keeps at most `concurrency` requests in flight in one-request-per-row mode, answers in row order', async () => {
    const stats = { inFlight: 0, maxInFlight: 0, requests: 0 };
    const url = await serve(async ({ data }: { data: number[] }) => {
      stats.requests++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      // Held so that, without a bound, all twelve requests would be in flight together.
      await new Promise((resolve) => setTimeout(resolve, 30));
      stats.inFlight--;
      return { status: 200, body: { prediction: `row-${data[0]}`, confidence: 1 } };
    });
    const rows = Array.from({ length: 12 }, (_, i) => [i, 1, 2, 3]);
    const { predictions } = await createPredict({ url, batch: false, concurrency: 3, maxRetries: 0 }).run({
      rows,
    });
    expect(stats.requests).toBe(12);
    expect(stats.maxInFlight).toBe(3);
    expect(predictions.map((p) => p.label)).toEqual(rows.map((row) => `row-${row[0]}`));
  });

  it("maps a FastAPI-shaped 422 for a missing field to InvalidInputError with the field's path", async () => {
    // What FastAPI 0.100+ (pydantic 2) answers when the body has no `data`.
    const url = await serve(async () => ({
      status: 422,
      body: { detail: [{ type: 'missing', loc: ['body', 'data'], msg: 'Field required', input: {} }] },
    }));
    const model = createPredict({ url, maxRetries: 0, request: () => ({ rows: [[1, 2, 3, 4]] }) });
    const error = await model.run({ rows: [[1, 2, 3, 4]] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues).toEqual([{ path: 'body.data', message: 'Field required' }]);
    expect((error as Error).message).toContain('body.data: Field required');
  });
});
