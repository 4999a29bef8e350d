// The shared conformance suite, run against the predict client over a loopback `/predict` server.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classification, createPredict } from '../../../src/index.ts';
import { runConformance } from '../../conformance/index.ts';

/** A `/predict` server on 127.0.0.1 that labels each row by the sign of its first feature. */
async function startPredictServer() {
  let requests = 0;
  const server = createServer(async (req, res) => {
    requests++;
    let text = '';
    for await (const chunk of req) text += chunk;
    const { data } = JSON.parse(text) as { data: number[][] | number[] };
    const label = (row: number[]) => (row[0]! >= 0 ? 'positive' : 'negative');
    res.setHeader('content-type', 'application/json');
    // A bare row (one-request-per-row mode) gets one value back, a list of rows a list.
    const answer = data.every((value) => typeof value === 'number')
      ? { prediction: label(data as number[]), confidence: 0.75 }
      : { prediction: (data as number[][]).map(label), confidence: data.map(() => 0.75) };
    res.end(JSON.stringify(answer));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/predict`;
  return {
    url,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const batch of [true, false]) {
  runConformance(`predict classification over a loopback server (batch: ${batch})`, {
    task: classification,
    create: async () => {
      const server = await startPredictServer();
      const model = createPredict({ url: server.url, batch, maxRetries: 0 });
      return { model, backendCalls: server.requests, cleanup: server.close };
    },
    inputs: [
      {
        rows: [
          [1, 2],
          [-1, 0],
          [3, 4],
        ],
      },
    ],
  });
}
