// The shared conformance suite, run against the TF Serving client over a loopback fake TF Serving.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classification, createTFServing, tensor } from '../../../src/index.ts';
import { runConformance } from '../../conformance/index.ts';

/** A fake TF Serving: `half_plus_two` answers x/2+2 per instance; `softmax2` answers two class scores per row. */
async function startTfServing() {
  let requests = 0;
  const server = createServer(async (req, res) => {
    requests++;
    let text = '';
    for await (const chunk of req) text += chunk;
    const { instances } = JSON.parse(text) as { instances: unknown[] };
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/models/half_plus_two:predict') {
      res.end(JSON.stringify({ predictions: (instances as number[]).map((x) => x / 2 + 2) }));
    } else {
      const rows = instances as number[][];
      res.end(
        JSON.stringify({ predictions: rows.map((row) => (row[0]! > 0 ? [0.25, 0.75] : [0.75, 0.25])) }),
      );
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseURL,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

runConformance('TF Serving tensor over a loopback fake', {
  task: tensor,
  create: async () => {
    const server = await startTfServing();
    const model = createTFServing({ baseURL: server.baseURL, maxRetries: 0 }).tensor('half_plus_two', {
      outputName: 'y',
    });
    return { model, backendCalls: server.requests, cleanup: server.close };
  },
  inputs: [{ inputs: { x: { dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 5]) } } }],
});

runConformance('TF Serving classification over a loopback fake', {
  task: classification,
  create: async () => {
    const server = await startTfServing();
    const model = createTFServing({ baseURL: server.baseURL, maxRetries: 0 }).classification('softmax2', {
      labels: ['no', 'yes'],
    });
    return { model, backendCalls: server.requests, cleanup: server.close };
  },
  inputs: [
    {
      rows: [
        [1, 2],
        [-1, 0],
      ],
    },
  ],
});
