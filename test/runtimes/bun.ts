// The Bun job (`./dev runtimes`, `bun test` with test/runtimes/bun-tsconfig.json so that
// '@mlkit/*' resolve to the built packages, not the repo tsconfig's source paths): core's
// conformance suite on bun:test, the server's fetch handler under Bun.serve, @mlkit/onnx.
import { afterAll, beforeAll, describe, it } from 'bun:test';
import { registerCoreConformance } from './core-checks.ts';
import { registerOnnxChecks } from './onnx-checks.ts';
import { registerServerChecks } from './server-checks.ts';

const runner = { describe, it, beforeAll, afterAll };
const runtime = `bun ${Bun.version}`;

registerCoreConformance(runner, runtime);
registerServerChecks(runner, runtime, async (server) => {
  const listening = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: server.fetch });
  return { url: `http://127.0.0.1:${listening.port}`, stop: () => listening.stop(true) };
});
registerOnnxChecks(runner, runtime);
