// The Node 22 job (`./dev runtimes`), under the Node 22 that scripts/setup.sh --runtimes fetched
// into .toolchain/, on node:test: core's conformance suite, the server behind @mlkit/server/node's
// listener, @mlkit/onnx, all from the built packages.
import { after, before, describe, it } from 'node:test';
import { listen } from '@mlkit/server/node';
import { registerCoreConformance } from './core-checks.ts';
import { registerOnnxChecks } from './onnx-checks.ts';
import { registerServerChecks } from './server-checks.ts';

const runner = { describe, it, beforeAll: before, afterAll: after };
const runtime = `node ${process.versions.node}`;

registerCoreConformance(runner, runtime);
registerServerChecks(runner, runtime, async (server) => {
  const listening = await listen(server, { host: '127.0.0.1', port: 0 });
  return { url: listening.url, stop: () => listening.close({ drainDelayMs: 0 }) };
});
registerOnnxChecks(runner, runtime);
